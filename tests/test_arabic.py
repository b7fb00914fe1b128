from bot.arabic import arabic_share, detect_language, light_stem, normalize, numbers, search_terms


def test_normalize_folds_alef_forms_and_maksura_and_ta_marbuta() -> None:
    assert normalize("أحمد إلى آخر ٱلقرية") == "احمد الي اخر القريه"


def test_normalize_strips_diacritics_and_tatweel() -> None:
    assert normalize("مُحَمَّـــد") == "محمد"


def test_normalize_converts_arabic_indic_digits() -> None:
    assert normalize("قتل ١٣٣ و۲۵") == "قتل 133 و25"


def test_normalize_hamza_carriers_and_case() -> None:
    assert normalize("مسؤول رئيس ISIS") == "مسوول رييس isis"


def test_search_terms_drop_stopwords_and_stem_article() -> None:
    terms = search_terms("قال المسؤولون في الموصل إن القوات")
    assert "في" not in terms and "ان" not in terms
    assert "موصل" in terms
    assert search_terms("الموصل") == search_terms("والموصل")


def test_light_stem_keeps_short_words_and_latin() -> None:
    assert light_stem("ال") == "ال"
    assert light_stem("mosul") == "mosul"
    assert light_stem("القوات") == "قو"


def test_detect_language() -> None:
    assert detect_language("How many were wounded?") == "en"
    assert detect_language("كم عدد الجرحى؟") == "ar"
    assert detect_language("ما هو ISIS؟") == "ar"
    assert detect_language("12345") == "en"
    assert detect_language("12345", default="ar") == "ar"


def test_arabic_share_mixed() -> None:
    assert arabic_share("abc") == 0.0
    assert arabic_share("كتب") == 1.0
    assert 0.4 < arabic_share("ab كت") < 0.6


def test_numbers_any_script_and_separators() -> None:
    assert numbers("قتل ١٣٣ شخصا و1,200 جريح في 2016") == {"133", "1200", "2016"}
    assert numbers("no digits") == set()
