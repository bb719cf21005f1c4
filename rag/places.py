"""Countries and the names that stand for them, for the citation checker: a claim that says "Pyongyang",
"the DPRK" or "North Korean" where its source says "North Korea" names the same country.

The table comes from the pinned `countryinfo==1.0.1` package (MIT; one JSON file per country with its
name, other spellings, capital and demonym), read lazily once per process and sha256-checked as a whole.
For each country it holds:
- the name, the Latin-script other spellings ("Democratic People's Republic of Korea", "PRK", "KP") and
  the initials of the multi-word ones ("DPRK", "PRC", "USA");
- the capital, which news writes for the government ("Pyongyang said", "Beijing backed");
- the demonym and its plural ("North Korean", "North Koreans"), and "U.S."-style dotted forms.
Codes of three letters or fewer match only as written in capitals, so "IT" or "US" never match a word.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading

from rag.errors import ModelError
from rag.opposites import package_folder

PACKAGE = "countryinfo==1.0.1"
CAPITAL = "capital:"  # a capital's key is marked, so it can be asked for or not
# sha256 over the data folder: each JSON file's name, a NUL byte and its bytes, in name order.
DATA_SHA256 = "a12409366764f5eaa9ee915c7e7f4a07c6e977f140f8edb91dd1931b81542344"


# Names news uses that countryinfo lacks ("America" is left out: "South America" would read as one).
OTHER_NAMES = {"United Kingdom": ("Britain",), "Netherlands": ("Holland",)}
# The United Kingdom's nations, which countryinfo does not list, with their demonyms ("an English port")
NATIONS = {"England": ("English",), "Scotland": ("Scottish", "Scots"), "Wales": ("Welsh",),
           "Northern Ireland": ("Northern Irish",)}


def _key(name: str) -> str:
    """How an alias is looked up: dots dropped, and lowercased unless it is a short code
    ("U.S." -> "US", "Pyongyang" -> "pyongyang")."""
    name = re.sub(r"\s+", " ", name.replace(".", "").replace("’", "'")).strip()
    name = re.sub(r"^the ", "", name, flags=re.I)
    return name if len(name) <= 3 and name.isupper() else name.lower()


def _initials(name: str) -> str:
    """ "Democratic People's Republic of Korea" -> "DPRK"; "" for fewer than three capitalised words."""
    caps = [w[0] for w in name.split() if w[:1].isupper()]
    return "".join(caps) if len(caps) >= 3 else ""


def read_aliases(folder) -> dict[str, str]:
    """alias key -> the country's name, from countryinfo's data folder."""
    files = sorted(folder.glob("*.json"))
    digest = hashlib.sha256()
    rows = []
    try:
        for path in files:
            data = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + data)
            rows.append(json.loads(data))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the country table in {folder} ({exc}); reinstall it: "
                         f"pip install --force-reinstall --no-deps '{PACKAGE}'") from exc
    if digest.hexdigest() != DATA_SHA256:
        raise ModelError(f"the country table in {folder} does not match its sha256 (damaged or another version); "
                         f"reinstall it: pip install --force-reinstall --no-deps '{PACKAGE}'")
    out: dict[str, str] = {}
    # a demonym several countries share is the most populous one's: "American" is the United States, not the
    # Northern Mariana Islands, "Chinese" China, not Macau
    rows.sort(key=lambda row: -row["population"] if isinstance(row.get("population"), int) else 0)
    for row in rows:
        country = row.get("name")
        if not isinstance(country, str):
            continue
        names = [country, *(row.get("altSpellings") or [])]
        names = [n for n in names if isinstance(n, str) and n.isascii()]
        forms = names + [_initials(n) for n in names]
        demonym = row.get("demonym")
        if isinstance(demonym, str) and demonym.isascii() and demonym:
            forms += [demonym, demonym + "s"]
        for form in filter(None, forms):
            out.setdefault(_key(form), country)
        for form in OTHER_NAMES.get(country, ()):
            out.setdefault(_key(form), country)
        capital = row.get("capital")
        if isinstance(capital, str) and capital.isascii() and capital:
            out.setdefault(CAPITAL + _key(capital), country)
    for nation, demonyms in NATIONS.items():
        for form in (nation, *demonyms):
            out.setdefault(_key(form), nation)
    return out


_LOCK = threading.Lock()
_ALIASES: dict[str, str] | None = None


def aliases() -> dict[str, str]:
    global _ALIASES
    with _LOCK:
        if _ALIASES is None:
            _ALIASES = read_aliases(package_folder("countryinfo", PACKAGE) / "data")
        return _ALIASES


def country(name: str, capitals: bool = True) -> str | None:
    """The country a name stands for: country("Pyongyang") -> 'North Korea', country("U.S.") -> 'United States'
    (whatever countryinfo calls it), None for a name that is no country's; a capital only if `capitals`."""
    table = aliases()
    return table.get(_key(name)) or (table.get(CAPITAL + _key(name)) if capitals else None)


def countries_in(names: list[str]) -> set[str]:
    """Every country that a run of words inside one of the names stands for: ["North Korea Korean Central
    News Agency"] -> {'North Korea'} (the longest runs first, up to six words)."""
    found = set()
    for name in names:
        words = name.split()
        for size in range(min(6, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                hit = country(" ".join(words[i:i + size]))
                if hit:
                    found.add(hit)
    return found
