"""The telecom domain's two databases, read from tau2's ``db.toml`` and ``user_db.toml``.

The models have tau2's fields, types, defaults and order, because a tool's output is the JSON of a
record and both state hashes are tau2's (sha256 of the key-sorted JSON of ``model_dump()``). After
validation a record is kept as plain JSON-like data, with dates as ``str(date)`` (what tau2's
``json.dumps(..., default=str)`` writes for them) and enums as their values.

State layout: the operator's tables keyed by id in file order (``plans``, ``customers``, ``lines``,
``bills``, ``devices``; tau2 keeps lists, so the hash turns them back into lists) and the user's side as
table ``user_db`` with the records ``device`` and ``surroundings``.
"""

from __future__ import annotations

import datetime
import tomllib
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fcstudio.envs.base import State
from fcstudio.envs.loading import StateError
from fcstudio.validation import first_error

TABLES = ("plans", "customers", "lines", "bills", "devices")
KEYS = {"plans": "plan_id", "customers": "customer_id", "lines": "line_id", "bills": "bill_id", "devices": "device_id"}
USER = "user_db"
DEFAULT_START_DATE = datetime.date(2025, 1, 1)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the operator's database -------------------------------------------------------------------------
class Address(_Model):
    street: str
    city: str
    state: str
    zip_code: str


class Plan(_Model):
    plan_id: str
    name: str
    data_limit_gb: float
    price_per_month: float
    data_refueling_price_per_gb: float


class Device(_Model):
    device_id: str
    device_type: Literal["phone", "router", "tablet", "watch", "other"]
    model: str
    imei: str | None = None
    is_esim_capable: bool
    activated: bool = False
    activation_date: datetime.datetime | None = None
    last_esim_transfer_date: datetime.datetime | None = None


LineStatus = Literal["Active", "Suspended", "Pending Activation", "Closed"]


class Line(_Model):
    line_id: str
    phone_number: str
    status: LineStatus = "Pending Activation"
    plan_id: str
    device_id: str | None = None
    data_used_gb: float = 0.0
    data_refueling_gb: float = 0.0
    roaming_enabled: bool = False
    contract_end_date: datetime.date | None = None
    last_plan_change_date: datetime.date | None = None
    last_sim_replacement_date: datetime.date | None = None
    suspension_start_date: datetime.date | None = None


class LineItem(_Model):
    description: str
    amount: float
    date: datetime.date
    item_type: str


BillStatus = Literal["Draft", "Issued", "Awaiting Payment", "Paid", "Overdue", "Disputed"]


class Bill(_Model):
    bill_id: str
    customer_id: str
    period_start: datetime.date
    period_end: datetime.date
    issue_date: datetime.date
    total_due: float
    due_date: datetime.date
    line_items: list[LineItem] = Field(default_factory=list)
    status: BillStatus = "Draft"


class PaymentMethod(_Model):
    method_type: Literal["Credit Card", "Debit Card", "PayPal"]
    account_number_last_4: str
    expiration_date: str


class Customer(_Model):
    customer_id: str
    full_name: str
    date_of_birth: str
    email: str
    phone_number: str
    address: Address
    account_status: Literal["Active", "Suspended", "Pending Verification", "Closed"] = "Pending Verification"
    payment_methods: list[PaymentMethod] = Field(default_factory=list)
    line_ids: list[str] = Field(default_factory=list)
    bill_ids: list[str] = Field(default_factory=list)
    # tau2's default is a date, not a datetime (pydantic does not validate defaults): it dumps as "2025-01-01"
    created_at: datetime.datetime = DEFAULT_START_DATE  # type: ignore[assignment]
    last_extension_date: datetime.date | None = None
    goodwill_credit_used_this_year: float = 0.0


MODELS: dict[str, type[_Model]] = {
    "plans": Plan,
    "customers": Customer,
    "lines": Line,
    "bills": Bill,
    "devices": Device,
}


# -- the user's phone and surroundings ----------------------------------------------------------------
Signal = Literal["none", "poor", "fair", "good", "excellent"]
Technology = Literal["none", "2G", "3G", "4G", "5G"]


class APNName(StrEnum):
    """An enum, not a Literal, so that a bad name is refused in tau2's words (``type=enum``)."""

    INTERNET = "internet"
    BROKEN = "broken"


class APNSettings(_Model):
    apn_name: APNName = APNName.INTERNET
    reset_at_reboot: bool = False
    mms_apn: str | None = "mms"
    mmsc_url: str | None = "http://mms.carrier.com/mms/wapenc"
    mms_proxy: str | None = None
    mms_port: int | None = None


class VpnDetails(_Model):
    server_address: str | None = None
    protocol: str | None = None
    server_performance: Literal["unknown", "poor", "fair", "good", "excellent"] = "unknown"


class AppPermissions(_Model):
    sms: bool = False
    storage: bool = False
    phone: bool = False
    network: bool = False


class AppStatus(_Model):
    app_name: str
    permissions: AppPermissions = Field(default_factory=AppPermissions)


def _default_apps() -> dict[str, AppStatus]:
    return {
        "messaging": AppStatus(app_name="messaging", permissions=AppPermissions(sms=True, storage=True, phone=True)),
        "browser": AppStatus(app_name="browser", permissions=AppPermissions(network=True, storage=True)),
    }


class PhoneDevice(_Model):
    sim_card_status: Literal["active", "missing", "locked_pin", "locked_puk"] = "active"
    sim_card_missing: bool = False
    airplane_mode: bool = False
    network_signal_strength: Signal = "good"
    network_technology_connected: Technology = "5G"
    network_connection_status: Literal["connected", "searching", "no_service", "emergency_only"] = "connected"
    battery_level: int = 80
    data_enabled: bool = True
    roaming_enabled: bool = False
    network_mode_preference: Literal["4g_5g_preferred", "4g_only", "3g_only", "2g_only"] = "4g_5g_preferred"
    active_apn_settings: APNSettings = Field(default_factory=APNSettings)
    wifi_enabled: bool = False
    wifi_connected: bool = False
    wifi_ssid: str | None = None
    wifi_signal_strength: Signal = "none"
    wifi_calling_enabled: bool = False
    wifi_calling_mms_over_wifi: bool = False
    data_saver_mode: bool = False
    vpn_enabled_setting: bool = False
    vpn_connected: bool = False
    vpn_details: VpnDetails | None = None
    app_statuses: dict[str, AppStatus] = Field(default_factory=_default_apps)


class PaymentRequest(_Model):
    bill_id: str
    amount_due: float
    paid: bool = False


def _default_signal() -> dict[Technology, Signal]:
    return {"2G": "poor", "3G": "fair", "4G": "good", "5G": "excellent"}


class Surroundings(_Model):
    name: str | None = None
    phone_number: str | None = None
    is_abroad: bool = False
    roaming_allowed: bool = False
    signal_strength: dict[Technology, Signal] = Field(default_factory=_default_signal)
    mobile_data_usage_exceeded: bool = False
    line_active: bool = True
    payment_request: PaymentRequest | None = None


class UserDB(_Model):
    device: PhoneDevice = Field(default_factory=PhoneDevice)
    surroundings: Surroundings = Field(default_factory=Surroundings)


# -- reading ------------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A dumped model as JSON-like data: dates as tau2's JSON writes them (``str``)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def read_toml(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise StateError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: not TOML: {exc}") from None


def read_data(path: str | Path) -> dict[str, Any]:
    """A TOML or JSON database file as data (tau2 accepts both)."""
    if str(path).endswith(".json"):
        from fcstudio.envs.loading import read_json

        data = read_json(path, StateError)
        if not isinstance(data, dict):
            raise StateError(f"{path}: the database must be an object")
        return data
    return read_toml(path)


def operator_state(raw: Any, where: str = "db") -> State:
    """tau2's TelecomDB ({table: [record, ...]}) as tables keyed by id, validated record by record."""
    if not isinstance(raw, dict):
        raise StateError(f"{where}: the database must be an object of tables")
    unknown = sorted(set(raw) - set(TABLES))
    if unknown:
        raise StateError(f"{where}: unknown table(s) {', '.join(unknown)}; expected {', '.join(TABLES)}")
    state: State = {}
    for table in TABLES:
        records = raw.get(table, [])
        if not isinstance(records, list):
            raise StateError(f"{where}: table {table!r} must be a list of records")
        out: dict[str, Any] = {}
        for i, record in enumerate(records):
            try:
                row = plain(MODELS[table].model_validate(record).model_dump())
            except ValidationError as exc:
                loc, msg = first_error(exc)
                raise StateError(f"{where}: {table}[{i}].{loc}: {msg}") from None
            key = row[KEYS[table]]
            if key in out:
                raise StateError(f"{where}: {table}[{i}]: duplicate id {key!r}")
            out[key] = row
        state[table] = out
    return state


def user_record(raw: Any, where: str = "user_db") -> dict[str, Any]:
    """tau2's TelecomUserDB (``device``, ``surroundings``) with every default filled in."""
    if not isinstance(raw, dict):
        raise StateError(f"{where}: the user database must be an object")
    try:
        return plain(UserDB.model_validate(raw).model_dump())
    except ValidationError as exc:
        loc, msg = first_error(exc)
        raise StateError(f"{where}: {loc}: {msg}") from None


def load_telecom(db: str | Path, user_db: str | Path | None = None) -> State:
    """Both databases as one state: the operator's tables and ``user_db`` (default: ``user_db.toml`` beside db)."""
    user_path = Path(user_db) if user_db else Path(db).parent / "user_db.toml"
    state = operator_state(read_data(db), str(db))
    state[USER] = user_record(read_data(user_path), str(user_path)) if user_path.is_file() else user_record({})
    return state
