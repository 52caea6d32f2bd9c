"""Tables of the engine's own database (extract snapshots live as Parquet files beside it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ExtractImport(Base):
    """One imported extract file: its source, its snapshot and its counts.

    A month has one current import; one replaced with --replace keeps its row and its snapshot,
    stamped with replaced_at.
    """

    __tablename__ = "extract_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    source_path: Mapped[str] = mapped_column(String(1024))
    source_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    rows_read: Mapped[int] = mapped_column(BigInteger)
    rows_loaded: Mapped[int] = mapped_column(BigInteger)
    rows_rejected: Mapped[int] = mapped_column(BigInteger)
    snapshot_path: Mapped[str] = mapped_column(String(1024))
    reject_path: Mapped[str | None] = mapped_column(String(1024))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float] = mapped_column(Float)
    replaced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "uq_extract_imports_current_month",
            "month",
            unique=True,
            sqlite_where=replaced_at.is_(None),
            postgresql_where=replaced_at.is_(None),
        ),
    )
