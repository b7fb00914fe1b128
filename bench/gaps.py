"""False alarms and catches of the answer-gap rules (``bot/asked.py``), without the model.

- **Another place**: a question naming a place, checked against the paragraph of the
  sentence that holds its right answer (a false alarm if flagged), and against the
  paragraphs of the same article's other sentences holding a figure (the trap: "11
  killed" from the Khalidiya paragraph for a Qayyarah question; a catch if flagged).
  Questions: every answerable question of bench/data/seed_questions.*.yaml and of
  regression/*.yaml with a file to cite, whose answer is written in the Arabic (a figure).
- **People for things**: English "how many car bombs / villages" questions, the right
  answer's sentence (a false alarm if flagged) and the article's other sentences with a
  figure (the trap: "70 car bombs" from "70 members killed"; caught if flagged).
- **Civilians from people**: "how many civilians" answered with a figure whose cited
  clause says people ("46 شخصاً"), not civilians; traps are the seed how-many questions
  about another side asked of civilians (caught by this rule or the side rules).
- **Which**: "which town/unit/group..." questions answered with their right answer, bare
  and as "It was X.", must not be flagged (XQuAD English dev rows and the seed sets).

    python bench/gaps.py
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.arabic import arabic_share, normalize, numbers  # noqa: E402
from bot.asked import asks_when, asks_which, counted_sides, counted_words, counts_things, missing  # noqa: E402
from bot.checks import ROLE_GROUPS, figure_roles, roles  # noqa: E402
from bot.chunk import sentence_units  # noqa: E402
from bot.cite import names_of  # noqa: E402
from bot.evidence import asks_how_many, asks_who  # noqa: E402
from bot.glossary import load_glossary  # noqa: E402

DATA = ROOT / "bench" / "data"
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_BREAK = re.compile(r"\n\s*\n")
EVENTS = frozenset(ROLE_GROUPS[0])


def seed_items() -> list[tuple[str, list[str], str]]:
    """(question, answers, file) of every answerable seed question with a file."""
    out = []
    for f in sorted(DATA.glob("seed_questions.*.yaml")):
        for q in yaml.safe_load(f.read_text("utf-8"))["questions"]:
            if not q.get("decline"):
                out.append((q["q"], [str(a) for a in q["answer"]], q["file"]))
    for f in sorted((ROOT / "regression").glob("*.yaml")):
        for case in yaml.safe_load(f.read_text("utf-8")).get("cases", []):
            question = case.get("input", {}).get("question")
            asserts = case.get("assert", [])
            files = [a["files"] for a in asserts if a.get("type") == "cites"]
            said = [a["value"] for a in asserts if a.get("type") == "contains"]
            said += [v for a in asserts if a.get("type") == "contains-any" for v in a["values"]]
            if question and len(files) == 1 and len(files[0]) == 1 and said:
                out.append((question, [str(s) for s in said], files[0][0]))
    return out


def paragraphs(text: str) -> list[tuple[int, int, str]]:
    out, at = [], 0
    for m in [*_BREAK.finditer(text), None]:
        end = m.start() if m else len(text)
        out.append((at, end, text[at:end]))
        at = m.end() if m else len(text)
    return out


def _holds(unit: str, figure: str) -> bool:
    """``unit`` writes the whole number ``figure`` (5 is not the 5 of 5000 or 25)."""
    plain = normalize(unit.translate(DIGITS))
    return bool(re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d.,]*\d)", plain))


def _place(question: str, context: str, glossary: Any) -> bool:
    """The rule fires for an answer with a figure resting on ``context``."""
    return any(g.kind == "place" for g in missing(question, "It was 17.", [], glossary, [context]))


def place_rule(glossary: Any) -> tuple[int, int, int, int, list[str]]:
    right = flagged = traps = caught = 0
    notes: list[str] = []
    for q, answers, file in seed_items():
        if not (ROOT / "seeds" / file).exists():  # a regression fixture, not a seed
            continue
        text = (ROOT / "seeds" / file).read_text("utf-8")
        figures = {normalize(a.translate(DIGITS)) for a in answers if re.search(r"\d", a)}
        if not figures:
            continue
        paras = paragraphs(text)
        units = [text[a:b] for a, b in sentence_units(text)]
        good = [u for u in units if any(_holds(u, f) for f in figures)]
        if not good:
            continue
        home = {p for p in paras if any(u in p[2] for u in good)}
        right += 1
        if any(_place(q, p[2], glossary) for p in home):
            flagged += 1
            notes.append(f"false alarm: {q}")
        if not asks_how_many(q):
            continue
        for p in paras:
            if p in home or not numbers(p[2]):
                continue
            traps += 1
            if _place(q, p[2], glossary):
                caught += 1
    return right, flagged, traps, caught, notes


def _people(question: str, figure: str, sentence: str) -> bool:
    gaps = missing(question, f"It was {figure} [1].", [sentence])
    return any("counts people" in str(g) for g in gaps)


def people_rule() -> tuple[int, int, int, int]:
    """English how-many questions: the right answer's sentence (false alarm if flagged);
    for questions counting things, the article's sentences whose figure counts people
    (the trap: "70 car bombs" from "70 members killed"; a catch if flagged)."""
    right = flagged = traps = caught = 0
    for q, answers, file in seed_items():
        path = ROOT / "seeds" / file
        if not asks_how_many(q) or arabic_share(q) > 0.5 or not path.exists():
            continue
        text = path.read_text("utf-8")
        figures = [a for a in answers if re.fullmatch(r"[\d.,]+", a)]
        units = [text[a:b] for a, b in sentence_units(text)]
        for u in units:
            digits = re.findall(r"(?<![\d.,])\d+(?![\d.,])", u.translate(DIGITS))
            if figures and figures[0].replace(",", "") in digits:
                right += 1
                flagged += _people(q, figures[0].replace(",", ""), u)
            elif digits and counts_things(q):
                for d in digits:
                    traps += 1
                    caught += _people(q, d, u)
    return right, flagged, traps, caught


def xquad_how_many(lang: str) -> list[tuple[str, str, str]]:
    """(question in ``lang``, Arabic digit answer, the Arabic sentence holding it) of every
    XQuAD dev row whose question asks how many and whose answer is a figure."""
    rows = [json.loads(x) for x in (DATA / "xquad_ar_en.dev.jsonl").read_text("utf-8").splitlines()]
    out = []
    for r in rows:
        q, a = r[f"question_{lang}"], r["answers_ar"][0]
        if not (asks_how_many(q) and re.fullmatch(r"[\d.,]+", a.translate(DIGITS))):
            continue
        ctx, at = r["context_ar"], r["answer_starts_ar"][0]
        out.append((q, a, next((ctx[x:y] for x, y in sentence_units(ctx) if x <= at < y), ctx)))
    return out


def people_rule_xquad() -> tuple[int, int]:
    """XQuAD English how-many questions counting things, with the Arabic sentence that
    holds the right (digit) answer: flagged = false alarm."""
    asked = flagged = 0
    for q, a, sentence in xquad_how_many("en"):
        if counts_things(q):
            asked += 1
            flagged += _people(q, a, sentence)
    return asked, flagged


def seed_people_counts() -> list[tuple[str, str, str, list[str]]]:
    """(question, its counted words, its figure, the seed sentences holding the figure) of
    every English seed how-many question that counts people and has a figure answer."""
    out = []
    for q, answers, file in seed_items():
        path = ROOT / "seeds" / file
        counted = counted_words(q)
        figures = [a for a in answers if re.fullmatch(r"[\d.,]+", a)]
        if not (asks_how_many(q) and figures and counted and path.exists()) or counts_things(q):
            continue
        if arabic_share(q) > 0.5:
            continue
        text = path.read_text("utf-8")
        good = [text[x:y] for x, y in sentence_units(text) if _holds(text[x:y], figures[0])]
        out.append((q, counted, figures[0], good))
    return out


def _kind(question: str, figure: str, sentence: str) -> bool:
    gaps = missing(question, f"It was {figure} [1].", [sentence])
    return any("does not count" in str(g) for g in gaps)


KINDS = ("workers", "journalists", "children", "women", "students", "doctors")


def kinds_rule() -> tuple[int, int, int, int]:
    """People of a kind (workers, journalists...): XQuAD English how-many questions that
    count such people, with the Arabic sentence of the right answer (a false alarm if
    flagged); traps: each seed how-many question about people asked of each kind instead
    ("how many workers were killed in Kirkuk?"), against the right sentence of the
    original question, which counts other people (a catch if flagged)."""
    right = flagged = traps = caught = 0
    for q, a, sentence in xquad_how_many("en"):
        if any(re.search(rf"\b{k[:-1]}", counted_words(q), re.I) for k in ("women", *KINDS)):
            right += 1
            flagged += _kind(q, a, sentence)
    for q, counted, figure, good in seed_people_counts():
        for kind in KINDS:
            traps += 1
            caught += any(_kind(q.replace(counted, f"{kind} ", 1), figure, u) for u in good[:1])
    return right, flagged, traps, caught


def _civilians(question: str, figure: str, sentence: str) -> bool:
    gaps = missing(question, f"It was {figure} [1].", [sentence])
    return any(g.kind == "role" for g in gaps)  # this rule or a side rule before it


def civilians_rule() -> tuple[int, int, int, int]:
    """Civilians from people, with the side rules that run before it: English how-many
    questions counting civilians (seed sets, XQuAD dev) with the sentence of the right
    answer (a false alarm if flagged); traps: each seed how-many question counting another
    side or people, asked of civilians instead, against its right sentence (a catch if
    flagged)."""
    right = flagged = traps = caught = 0
    for q, a, sentence in xquad_how_many("en"):
        if counted_sides(q) == {"civilians"}:
            right += 1
            flagged += _civilians(q, a, sentence)
    for q, counted, figure, good in seed_people_counts():
        if not good:
            continue
        if counted_sides(q) == {"civilians"}:
            right += 1
            flagged += _civilians(q, figure, good[0])
        else:
            traps += 1
            caught += _civilians(q.replace(counted, "civilians ", 1), figure, good[0])
    return right, flagged, traps, caught


def which_rule() -> tuple[int, int]:
    rows = [json.loads(x) for x in (DATA / "xquad_ar_en.dev.jsonl").read_text("utf-8").splitlines()]
    items = [(r["question_en"], r["answers_en"][0]) for r in rows if r["answers_en"]]
    items += [(q, answers[0]) for q, answers, _ in seed_items()]
    asked = flagged = 0
    for q, a in items:
        if not asks_which(q):
            continue
        asked += 1
        gaps = [g for s in (f"{a} [1].", f"It was {a} [1].") for g in missing(q, s)]
        flagged += any(g.kind == "which" for g in gaps)
    return asked, flagged


def counted_ar_rule() -> tuple[int, int, int, int]:
    """Arabic how-many questions: the right answer's figure with its sentence (XQuAD
    Arabic dev rows and the seed sets; a false alarm if flagged), and, for seed questions,
    the article's other sentences with a figure (a catch if flagged)."""
    right = flagged = traps = caught = 0

    def fires(q: str, figure: str, sentence: str) -> bool:
        gaps = missing(q, f"{figure} [1].", [sentence])
        return any("does not count" in str(g) for g in gaps)

    for q, a, sentence in xquad_how_many("ar"):
        right += 1
        flagged += fires(q, a, sentence)
    for q, answers, file in seed_items():
        path = ROOT / "seeds" / file
        figures = [a for a in answers if re.fullmatch(r"[\d.,]+", a)]
        if not (asks_how_many(q) and arabic_share(q) > 0.5 and figures and path.exists()):
            continue
        text = path.read_text("utf-8")
        for x, y in sentence_units(text):
            u = text[x:y]
            if _holds(u, figures[0]):
                right += 1
                flagged += fires(q, figures[0], u)
            else:
                for d in re.findall(r"(?<![\d.,])\d+(?![\d.,])", u.translate(DIGITS)):
                    traps += 1
                    caught += fires(q, d, u)
    return right, flagged, traps, caught


def _event(question: str, figure: str, sentence: str) -> bool:
    gaps = missing(question, f"It was {figure} [1].", [sentence])
    return any("which the question does not ask about" in str(g) for g in gaps)


def event_rule() -> tuple[int, int, int, int]:
    """A figure of an event (killed, wounded...) for a question about none: every
    how-many question with a figure answer (seed sets, regression, XQuAD dev in both
    languages) against the sentence of its right answer (a false alarm if flagged); traps:
    each seed how-many question naming no event, against the article's other sentences
    whose figure's clause names one (a catch if flagged)."""
    right = flagged = traps = caught = 0
    for lang in ("en", "ar"):
        for q, a, sentence in xquad_how_many(lang):
            right += 1
            flagged += _event(q, a, sentence)
    for q, answers, file in seed_items():
        path = ROOT / "seeds" / file
        figures = [a.replace(",", "") for a in answers if re.fullmatch(r"[\d.,]+", a)]
        if not asks_how_many(q) or not figures or not path.exists():
            continue
        text = path.read_text("utf-8")
        for x, y in sentence_units(text):
            unit = text[x:y]
            if _holds(unit, figures[0]):
                right += 1
                flagged += _event(q, figures[0], unit)
            elif not roles(q) & EVENTS:
                for value, said in figure_roles(unit).items():
                    if said & EVENTS and value != float(figures[0]):
                        traps += 1
                        caught += _event(q, f"{value:g}", unit)
    return right, flagged, traps, caught


def when_rule() -> tuple[int, int]:
    """ "When...?" questions (XQuAD dev in both languages, the seed sets) answered with
    their right answer, bare and as "It was X.": a false alarm if flagged for giving no
    time."""
    rows = [json.loads(x) for x in (DATA / "xquad_ar_en.dev.jsonl").read_text("utf-8").splitlines()]
    items = [
        (r[f"question_{lang}"], r[f"answers_{lang}"][0])
        for r in rows
        for lang in ("en", "ar")
        if r[f"answers_{lang}"]
    ]
    items += [(q, answers[0]) for q, answers, _ in seed_items()]
    asked = flagged = 0
    for q, a in items:
        if not asks_when(q):
            continue
        asked += 1
        gaps = [g for s in (f"{a} [1].", f"It was {a} [1].") for g in missing(q, s)]
        flagged += any(g.kind == "when" for g in gaps)
    return asked, flagged


def who_rule(glossary: Any) -> tuple[int, int, int, int]:
    """ "Who...?" answered only with a person the question names: the seed sets' and
    regression's who-questions answered with their right answer, against every sentence
    of their article (a false alarm if flagged); traps: each such question naming a
    person of its article (in full or by last name), answered with that person (a catch
    if flagged)."""
    right = flagged = traps = caught = 0
    for q, answers, file in seed_items():
        path = ROOT / "seeds" / file
        if not asks_who(q) or not path.exists():
            continue
        text = path.read_text("utf-8")
        units = [text[x:y] for x, y in sentence_units(text)]

        def fires(answer: str, q: str = q, units: list[str] = units) -> bool:
            gaps = [
                g
                for s in (f"{answer} [1].", f"It was {answer} [1].")
                for g in missing(q, s, units, glossary)
            ]
            return any("already names" in g.text for g in gaps)

        right += 1
        flagged += fires(answers[0])
        plain = normalize(q)
        for term in {t for t in names_of(text, glossary) if t.kind == "people"}:
            last_ar = term.words[-1] if term.words else "-"
            if term.en.split()[-1].lower() in q.lower() or last_ar in plain.split():
                traps += 1
                caught += fires(term.en if arabic_share(q) <= 0.5 else term.ar)
    return right, flagged, traps, caught


def restated_rule() -> tuple[int, int]:
    """English what/where/who/when... questions answered with their right answer, bare
    and as "It was X.": none may be taken for a restatement of the question."""
    rows = [json.loads(x) for x in (DATA / "xquad_ar_en.dev.jsonl").read_text("utf-8").splitlines()]
    items = [(r["question_en"], r["answers_en"][0]) for r in rows if r["answers_en"]]
    items += [(q, answers[0]) for q, answers, _ in seed_items() if arabic_share(q) < 0.5]
    asked = flagged = 0
    for q, a in items:
        asked += 1
        gaps = [g for s in (f"{a} [1].", f"It was {a} [1].") for g in missing(q, s)]
        flagged += any(g.kind == "restated" for g in gaps)
    return asked, flagged


def main() -> None:
    glossary = load_glossary(ROOT / "prompts" / "glossary.yaml")
    right, flagged, traps, caught, notes = place_rule(glossary)
    asked, which_flagged = which_rule()
    p_right, p_flagged, p_traps, p_caught = people_rule()
    print("| rule | right answers flagged (false alarms) | traps caught |")
    print("| --- | --: | --: |")
    print(f"| another place | {flagged}/{right} | {caught}/{traps} |")
    print(f"| which: no new name | {which_flagged}/{asked} | - |")
    print(f"| people for things | {p_flagged}/{p_right} | {p_caught}/{p_traps} |")
    x_asked, x_flagged = people_rule_xquad()
    print(f"| people for things, XQuAD | {x_flagged}/{x_asked} | - |")
    r_asked, r_flagged = restated_rule()
    print(f"| restates the question | {r_flagged}/{r_asked} | - |")
    a_right, a_flagged, a_traps, a_caught = counted_ar_rule()
    print(f"| Arabic counted noun | {a_flagged}/{a_right} | {a_caught}/{a_traps} |")
    k_right, k_flagged, k_traps, k_caught = kinds_rule()
    print(f"| people of a kind | {k_flagged}/{k_right} | {k_caught}/{k_traps} |")
    c_right, c_flagged, c_traps, c_caught = civilians_rule()
    print(f"| civilians from people | {c_flagged}/{c_right} | {c_caught}/{c_traps} |")
    o_right, o_flagged, o_traps, o_caught = who_rule(glossary)
    print(f"| who: only the question's person | {o_flagged}/{o_right} | {o_caught}/{o_traps} |")
    w_asked, w_flagged = when_rule()
    print(f"| when: no time | {w_flagged}/{w_asked} | - |")
    e_right, e_flagged, e_traps, e_caught = event_rule()
    print(f"| a figure of another event | {e_flagged}/{e_right} | {e_caught}/{e_traps} |")
    for n in notes:
        print(n)


if __name__ == "__main__":
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
