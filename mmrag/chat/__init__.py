"""The chat session behind `mmrag chat`: history, follow-up rewriting and slash commands, without terminal I/O."""

from mmrag.chat.rewrite import QueryRewriter, Rewrite, check_rewrite, fallback_query, is_question
from mmrag.chat.session import ChatSession, Turn

__all__ = ["ChatSession", "QueryRewriter", "Rewrite", "Turn", "check_rewrite", "fallback_query", "is_question"]
