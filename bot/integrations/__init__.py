"""Adapters that let other frameworks use newsbot (imported only by their users)."""

from bot.integrations.langchain import NewsbotRetriever, answer_runnable

__all__ = ["NewsbotRetriever", "answer_runnable"]
