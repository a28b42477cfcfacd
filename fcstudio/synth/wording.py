"""Natural wording for the template translator: a user's request from a function's description and the values,
and an assistant's summary of tool results in sentences (never raw JSON).

A description is either imperative ("Book a seat on a flight for a passenger") or a noun phrase ("Hotels in a city
with availability for the given nights"); a placeholder in it ("a city", "a passenger") becomes the value given for
the argument it names, the other values are said in phrases that fit their kind (``values.field_kind``): "on
2026-12-03", "at 18:30", "for 3 nights", "under the name Asha Rao". Phrasings vary by the episode's seeded RNG.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from fcstudio.models import ToolSpec
from fcstudio.synth.values import field_kind, name_tokens

VERBS = frozenset(
    "find search book cancel open add remove delete send convert reserve look start rent translate set get list "
    "create update check compute calculate estimate schedule make show move copy post buy sell call play "
    "turn fill lock unlock display echo change modify transfer register pay submit retrieve fetch query "
    "mark close write read upload download sort filter count compare generate toggle adjust "
    "activate enable disable press view edit rename multiply divide subtract return order "
    "track share invite notify remind save load run stop pause resume reset verify validate apply assign "
    "lookup locate identify determine convert measure predict recommend suggest summarize summarise".split()
)
OBJECTS = frozenset("a an the all two one some to on your my its their current new up out down from by with".split())
PAST = {
    "find": "found", "get": "got", "send": "sent", "set": "set", "book": "booked", "cancel": "cancelled",
    "run": "ran", "make": "made", "write": "wrote", "read": "read", "buy": "bought", "sell": "sold",
    "pay": "paid", "show": "showed", "put": "put", "stop": "stopped", "plan": "planned", "log": "logged",
}  # fmt: skip
_THIRD = {"returns": "get", "retrieves": "get", "fetches": "get", "gets": "get", "lists": "list"}


def _say(value: Any) -> str:
    """A value as words: numbers as written (2.0 as 2), lists joined, objects as 'key value' phrases."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list):
        return join_words([_say(v) for v in value])
    if isinstance(value, dict):
        return join_words([f"{words(k)} {_say(v)}" for k, v in value.items() if v is not None])
    return "nothing" if value is None else str(value)


def words(name: str) -> str:
    return " ".join(name_tokens(name)) or name


def join_words(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _purpose(spec: ToolSpec) -> str:
    """The description's first clause with the tool's own name scrubbed (BFCL docs: after 'Tool description:')."""
    text = (spec.description or words(spec.name)).split("Tool description:")[-1].strip()
    text = re.split(r"(?<=[a-z0-9)])[.;:](\s|$)|\n", text, maxsplit=1)[0].strip().rstrip(".")
    if "_" in spec.name or re.search(r"[a-z][A-Z]", spec.name):  # only a distinctive name ("get_weather") gives
        text = re.sub(rf"\b{re.escape(spec.name)}\b", "it", text, flags=re.IGNORECASE)  # the function away
    text = re.sub(r"^(this (tool|function|api|endpoint)|tool|function|api)( to| that| which)?\s+", "", text, flags=re.I)
    return text or words(spec.name)


def action(spec: ToolSpec) -> tuple[str, str, bool]:
    """(verb, rest, imperative) of the tool's purpose: ('book', 'a seat on a flight', True) or, for a noun
    phrase, ('find', 'hotels in a city ...', False)."""
    text = _purpose(spec)
    first, _, rest = text.partition(" ")
    low = first.lower()
    base = _THIRD.get(low) or (low[:-1] if low.endswith("s") and low[:-1] in VERBS else low)
    if base.endswith("e") and base not in VERBS and base[:-1] in VERBS:
        base = base[:-1]
    if low.endswith("es") and low[:-2] in VERBS:
        base = low[:-2]
    if base in VERBS and not rest.startswith(("of ", "for ")):  # "List of hotels" is a noun phrase
        return base, rest, True
    after = rest.split(" ", 1)[0].lower()
    if first[:1].isupper() and not first[1:2].isupper() and not low.endswith("s") and after in OBJECTS:
        return low, rest, True  # "Authenticate a user", "Follow the account": an imperative all the same
    noun = text[:1].lower() + text[1:] if not text[:2].isupper() else text
    return "find", noun, False


def past(verb: str) -> str:
    if verb in PAST:
        return PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou][aeiou][bdgmnpt]$", verb) and len(verb) <= 4:
        return verb + verb[-1] + "ed"
    return verb + "ed"


def _synonyms(arg: str, kind: str | None) -> list[str]:
    toks = name_tokens(arg)
    out = [" ".join(toks)]
    out += [t for t in toks if t not in ("id", "name", "code", "loc", "num", "in", "of", "to", "from")]
    out += {
        "date": ["day", "date"],
        "city": ["city", "place", "location"],
        "person": ["person", "passenger", "traveller", "guest", "contact"],
        "amount": ["amount"],
        "currency": ["currency", "currencies"],
        "phone": ["phone number", "number"],
        "email": ["email address", "address"],
    }.get(kind or "", [])
    return list(dict.fromkeys(w for w in out if len(w) > 2))


def fill_placeholders(phrase: str, spec: ToolSpec, values: dict[str, Any]) -> tuple[str, set[str]]:
    """The phrase with 'a city' / 'the given nights' replaced by the values for those arguments; the args used."""
    props = spec.property_schemas()
    used: set[str] = set()
    for arg, value in values.items():
        if isinstance(value, (dict, list)) or isinstance(value, bool):
            continue
        kind = field_kind(arg, props.get(arg) if isinstance(props.get(arg), dict) else {})
        if kind == "text":
            continue  # "send a text message": the message is said as a quote, not put in place of "a text"
        lead = r"(?<=\bto )" if kind in ("email", "phone") else r"\b"  # "to a phone number", not "send an email"
        for word in _synonyms(arg, kind):
            pattern = rf"{lead}(?:a|an|the|the given|a given|given|some|any|that|this)\s+{re.escape(word)}\b"
            if re.search(pattern, phrase, flags=re.IGNORECASE):
                said = _say(value)
                if kind == "id":  # "at a hotel" -> "at hotel H-3201"
                    said = f"{word} {said}"
                if kind == "count" and not re.search(rf"\b{re.escape(word)}\b", said):
                    said = f"{said} {word}"
                phrase = re.sub(pattern, said.replace("\\", "\\\\"), phrase, count=1, flags=re.IGNORECASE)
                used.add(arg)
                break
    return re.sub(r"\b(the|a) given\b", r"\1", phrase), used


def detail(arg: str, value: Any, schema: dict[str, Any] | None) -> str:
    """One argument's value as a phrase that fits its kind: 'on 2026-12-03', 'at 18:30', 'for 3 nights'."""
    kind = field_kind(arg, schema or {})
    toks = name_tokens(arg)
    w = words(arg)
    v = _say(value)
    lead = toks[0] if toks else ""
    if isinstance(value, bool):
        return f"only {w}" if value else f"not only {w}"
    if (schema or {}).get("enum"):
        return f"{v} {w}" if w not in v else v
    if kind == "date" and toks[:1] == ["check"] and len(toks) == 2:
        return f"checking {toks[1]} on {v}"
    if kind == "date":
        rest = " ".join(t for t in toks if t not in ("date", "day")) or ""
        return f"{rest} on {v}".strip() if rest else f"on {v}"
    if kind in ("time", "datetime"):
        return f"starting at {v}" if "start" in toks else f"at {v}"
    if kind in ("city", "airport", "station", "address"):
        if lead in ("from", "origin", "source", "pickup", "start", "departure"):
            return f"from {v}"
        if lead in ("to", "destination", "dest", "dropoff", "arrival", "target"):
            return f"to {v}"
        return f"in {v}" if kind == "city" else f"{w} {v}"
    if kind == "person":
        return f"under the name {v}" if len(toks) > 1 else f"for {v}"
    if kind == "email":
        return f"to {v}" if lead in ("email", "to", "recipient") else f"{w} {v}"
    if kind == "phone":
        return f"to {v}"
    if kind == "count":
        noun = " ".join(t for t in toks if t not in ("size", "num", "number", "of", "count")) or w
        noun = {"party": "people"}.get(noun, noun)
        return f"for {v} {noun}"
    if kind == "amount":
        return f"up to {v}" if lead in ("max", "maximum", "budget") else f"{w} of {v}"
    if kind == "currency":
        if lead in ("from", "base", "source"):
            return f"from {v}"
        if lead in ("to", "quote", "target"):
            return f"into {v}"
        return f"in {v}"
    if kind == "id":
        entity = " ".join(t for t in toks if t not in ("id", "ids", "key", "number")) or "item"
        return f"using {entity} {v}" if entity in ("payment method", "payment") else f"for {entity} {v}"
    if kind == "text":
        if "subject" in toks:
            return f'with the subject "{v}"'
        if "title" in toks:
            return f'called "{v}"'
        if "note" in toks:
            return f'with the note "{v}"'
        return f'saying "{v}"'
    if kind == "language":
        return f"into {v}" if lead in ("target", "to") else f"in {v}"
    return f"with {v}" if v.lower().startswith(w.lower()) else f"with {w} {v}"  # "with folder 18", not twice


OPENERS = (
    "Could you {act}{details}?",
    "I'd like you to {act}{details}.",
    "Please {act}{details}.",
    "Can you help me {act}{details}?",
    "I need you to {act}{details}.",
)
NOUN_OPENERS = (
    "Could you find {what}{details}?",
    "I'm looking for {what}{details}.",
    "Can you look up {what}{details}?",
    "I need {what}{details}.",
    "What can you tell me about {what}{details}?",
)
LINKS = ("Then", "After that,", "Also,", "And then")
GREETINGS = ("", "", "Hi! ", "Hello! ", "Good morning. ")


def request(
    spec: ToolSpec, given: dict[str, Any], fed: list[str], rng: random.Random, *, first: bool, link: bool
) -> str:
    """One call asked for in the user's words: its purpose with the values in place, and earlier results
    pointed at (``fed``: phrases like 'the hotel id from what you find first')."""
    verb, rest, imperative = action(spec)
    props = {k: v for k, v in spec.property_schemas().items() if isinstance(v, dict)}
    rest, used = fill_placeholders(rest, spec, given)
    parts = [detail(a, v, props.get(a)) for a, v in given.items() if a not in used]
    parts += [f"using {f}" for f in fed]
    long = len(rest.split()) >= 6
    details = ((", " if long else " ") + join_words(parts)) if parts else ""
    if imperative:
        text = rng.choice(OPENERS).format(act=f"{verb} {rest}".strip(), details=details)
    else:
        text = rng.choice(NOUN_OPENERS).format(what=rest, details=details)
    if link:
        keep = re.match(r"I\b", text) is not None  # "Then I'd like", not "Then i'd like"
        text = f"{rng.choice(LINKS)} {text if keep else text[:1].lower() + text[1:]}"
    return (rng.choice(GREETINGS) if first else "") + text


def answer(arg: str, value: Any, rng: random.Random) -> str:
    """The user giving a value the assistant asked for."""
    w, v = words(arg), _say(value)
    return rng.choice([f"The {w} is {v}.", f"Sure, the {w} is {v}.", f"Use {v} for the {w}.", f"It's {v} ({w})."])


# -- results in words ---------------------------------------------------------------------------------------


def _label(item: dict[str, Any]) -> tuple[str | None, str]:
    """The key naming an item in a list (its name, title or number) and that value."""
    for key in item:
        toks = name_tokens(key)
        if isinstance(item[key], str) and ({"name", "title"} & set(toks) or toks[-1:] == ["number"]):
            return key, item[key]
    for key, value in item.items():
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return key, _say(value)
    return None, "an item"


def _item(item: Any) -> str:
    if not isinstance(item, dict):
        return _say(item)
    key, label = _label(item)
    extras = [f"{words(k)} {_say(v)}" for k, v in item.items() if k != key and not isinstance(v, (dict, list))][:3]
    return f"{label} ({', '.join(extras)})" if extras else label


def _facts(data: dict[str, Any]) -> list[str]:
    facts = []
    for key, value in data.items():
        w = words(key)
        if isinstance(value, list):
            if not value:
                facts.append(f"there are no {w}")
            else:
                shown = [_item(v) for v in value[:3]]
                more = f" and {len(value) - 3} more" if len(value) > 3 else ""
                count = f"{len(value)} {w}" if len(value) > 1 else f"one {w.rstrip('s') if w.endswith('s') else w}"
                facts.append(f"there {'are' if len(value) > 1 else 'is'} {count}: {join_words(shown)}{more}")
        elif isinstance(value, dict):
            facts.append(f"the {w} has {_say(value)}")
        elif value is not None:
            facts.append(f"the {w} is {_say(value)}")
    return facts


def summary(spec: ToolSpec | None, name: str, args: dict[str, Any], output: str, error: bool) -> str:
    """One tool result as sentences: what was done with the values, then what came back."""
    if spec is not None:
        verb, rest, imperative = action(spec)
        rest, _ = fill_placeholders(rest, spec, args)
    else:
        verb, rest, imperative = "run", words(name), True
    rest = re.split(rf"\s+and\s+(?=(?:{'|'.join(VERBS)})\b)", rest, maxsplit=1)[0]  # one verb in the past tense
    did = f"{verb} {rest}".strip() if imperative else f"find {rest}"
    text = output.strip()
    if error:
        why = re.sub(r"^Error:\s*", "", text).rstrip(".") or "it failed"
        return f"I couldn't {did}: {why[:1].lower() + why[1:]}."
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        data = text
    head = f"I {past(verb)} {rest}".strip() if imperative else f"Here is what I found for {rest}"
    if isinstance(data, dict):
        facts = _facts(data)
    elif isinstance(data, list):
        facts = _facts({"results": data})
    else:
        facts = [f"the result is {_say(data)}"] if data not in (None, "") else []
    if not facts:
        return head + "."
    body = join_words(facts)
    return f"{head}; {body}." if imperative else f"{head}: {body}."
