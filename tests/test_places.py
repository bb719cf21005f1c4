"""The country table: a country's other names, capital and people, from the pinned countryinfo package."""

from __future__ import annotations

import pytest

from rag import places
from rag.errors import ModelError


@pytest.mark.parametrize("name,country", [
    ("North Korea", "North Korea"), ("Pyongyang", "North Korea"), ("DPRK", "North Korea"),
    ("the DPRK", "North Korea"), ("North Korean", "North Korea"), ("North Koreans", "North Korea"),
    ("Beijing", "China"), ("Chinese", "China"), ("PRC", "China"), ("U.S.", places.country("USA")),
    ("Seoul", "South Korea"), ("the North", None), ("Kim Jong Un", None),
    ("Britain", "United Kingdom"), ("UK", "United Kingdom"), ("Holland", "Netherlands"), ("America", None),
    # a demonym several countries share is the most populous one's
    ("American", places.country("USA")), ("Americans", places.country("USA")), ("Indian", "India"),
    ("French", "France"),
])
def test_a_countrys_names_capital_and_people_stand_for_it(name, country):
    assert places.country(name) == country


def test_short_codes_match_only_in_capitals_and_capitals_only_when_asked():
    assert places.country("US") is not None and places.country("us") is None
    assert places.country("Pyongyang", capitals=False) is None
    assert places.country("North Korea", capitals=False) == "North Korea"


def test_countries_are_found_inside_longer_names():
    assert places.countries_in(["North Korea Korean Central News Agency", "KCNA"]) == {"North Korea"}
    assert places.countries_in(["Kim Jong Un"]) == set()


def test_a_damaged_country_table_is_a_clear_error(tmp_path):
    (tmp_path / "china.json").write_text('{"name": "China", "capital": "Shanghai"}')
    with pytest.raises(ModelError, match=r"sha256.*countryinfo==1\.0\.1"):
        places.read_aliases(tmp_path)


def test_the_united_kingdoms_nations_and_their_demonyms_are_places():
    from rag.places import country

    assert country("English") == country("England") == "England"
    assert country("Welsh") == "Wales" and country("Scots") == "Scotland"
    assert country("Scottish") != country("England")
