"""The chat session behind `mmrag chat`: history, follow-up rewriting and slash commands, without terminal I/O."""

from mmrag.chat.rewrite import QueryRewriter
from mmrag.chat.session import ChatSession, Turn

__all__ = ["ChatSession", "QueryRewriter", "Turn"]
