"""Record models shared by the tau2-compatible domains (same fields, same order as tau2's)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A database record: unknown fields are an error, so a wrong db.json is caught at load time."""

    model_config = ConfigDict(extra="forbid")


class PersonName(Record):
    first_name: str
    last_name: str


class Address(Record):
    address1: str
    address2: str
    city: str
    country: str
    state: str
    zip: str


class CreditCard(Record):
    source: Literal["credit_card"]
    id: str
    brand: str
    last_four: str
