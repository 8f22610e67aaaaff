# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The groups a Confluent group mapping's CEL filter tests: one form is read, every other is left unattributed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.sso.mappings.plugins.plugin_utils._cel_groups import FilterNotRead, groups_of_filter, tokens


@pytest.mark.parametrize('text, groups', [
    ('"eng" in groups', ('eng',)),
    ('"eng" in claims.groups', ('eng',)),
    ('"eng" in groups || "ops" in claims.groups', ('eng', 'ops')),
    ('"b" in groups || "a" in groups || "b" in groups', ('b', 'a')),
    ("'single' in groups", ('single',)),
    ('"it\'s" in groups || \'say "hi"\' in groups', ("it's", 'say "hi"')),
    ('"a||b" in groups', ('a||b',)),
    ('"a && b" in groups', ('a && b',)),
    ('"x\\" || \\"y" in groups', ('x" || "y',)),
    ('"<script>alert(1)</script>" in groups', ('<script>alert(1)</script>',)),
    ('\t"eng"\n in\r\n claims . groups\f', ('eng',)),
    ('("eng" in groups)', ('eng',)),
    ('(("eng" in groups) || ("ops" in groups))', ('eng', 'ops')),
    ('("eng" in groups || "ops" in groups) || "sre" in groups', ('eng', 'ops', 'sre')),
    ('"eng" in groups // the engineers\n|| "ops" in groups', ('eng', 'ops')),
    ('"a\\nb\\t\\\\\\"\\\'\\`\\?" in groups', ('a\nb\t\\"\'`?',)),
    ('"\\x41\\X42\\u00e9\\U0001F600\\101" in groups', ('ABé\U0001F600A',)),
    ('r"C:\\path" in groups || R\'\\d\' in groups', ('C:\\path', '\\d')),
    ('"""tri"ple""" in groups || \'\'\'multi\nline\'\'\' in groups', ('tri"ple', 'multi\nline')),
    ('"eng" in claims._groups2.x_y', ('eng',)),
    ('"Ingénieurs" in groups', ('Ingénieurs',)),
])
def test_a_filter_of_the_one_form_names_its_groups(text, groups):
    assert groups_of_filter(text) == groups


@pytest.mark.parametrize('text', [
    '', '   ', '\n', '// only a comment',
    '"eng" in groups && "ops" in groups',
    '"eng" in groups || "ops" in groups && "prod" in groups',
    '!("eng" in groups)',
    '"eng" in groups || !("ops" in groups)',
    'claims.group == "eng"',
    '"eng" == claims.group',
    'size(claims.groups) > 0',
    'claims.groups.exists(g, g.startsWith("eng"))',
    '"eng" in claims.groups.map(g, g)',
    '"eng" in claims["groups"]',
    '"eng" in groups[0]',
    '"eng" in ["eng", "ops"]',
    'true', '"eng" in true', '"eng" in null', '"eng" in if',
    '"eng" in .groups',
    '"eng" in groups.',
    '"eng" in groups ||',
    '|| "eng" in groups',
    '"eng" in groups | "ops" in groups',
    '"eng" in groups "ops" in groups',
    '"eng" groups',
    'groups in "eng"',
    '("eng") in groups',
    '"eng" in (groups)',
    '("eng" in groups',
    '"eng" in groups)',
    '()',
    '"eng" in groups ? true : false',
    '1 in groups',
    'b"eng" in groups',
    '"eng" + "x" in groups',
    '"unterminated in groups',
    '"line\nbreak" in groups',
    '"bad \\q escape" in groups',
    '"\\x4" in groups',
    '"\\ud800" in groups',
    '"\\U00110000" in groups',
    '"\\400" in groups',
    '"" in groups',
    '"eng" in groups || "" in groups',
    '(' * 60 + '"eng" in groups' + ')' * 60,
])
def test_any_other_filter_is_not_read(text):
    assert groups_of_filter(text) is None


@pytest.mark.parametrize('value', [None, 42, ['"eng" in groups'], {'filter': '"eng" in groups'}])
def test_a_filter_that_is_not_text_is_not_read(value):
    assert groups_of_filter(value) is None


def test_tokens_follow_cel():
    assert tokens('("a" in b.c) || \'d\' in e') == [
        ('(', '('), ('string', 'a'), ('in', 'in'), ('identifier', 'b'), ('.', '.'), ('identifier', 'c'), (')', ')'),
        ('||', '||'), ('string', 'd'), ('in', 'in'), ('identifier', 'e')]
    # "in" inside a longer word is an identifier.
    assert tokens('inside index') == [('identifier', 'inside'), ('identifier', 'index')]
    with pytest.raises(FilterNotRead, match="unexpected '&' at offset 4"):
        tokens('a in&& b')


def cel_string(name, quote):
    """A CEL string literal of ``name``: JSON's escapes are CEL's, and the other quote needs none."""
    body = json.dumps(name, ensure_ascii=False)[1:-1]
    if quote == "'":
        body = body.replace('\\"', '"').replace("'", "\\'")
    return quote + body + quote


@given(st.lists(st.tuples(st.text(min_size=1), st.sampled_from(['"', "'"]),
                          st.sampled_from(['groups', 'claims.groups', 'claims.ext.roles']),
                          st.sampled_from([' ', '\t', '\n  ']), st.booleans()), min_size=1, max_size=5))
def test_any_names_in_either_quote_round_trip(terms):
    parts = []
    for name, quote, path, space, parenthesised in terms:
        term = '%s%sin%s%s' % (cel_string(name, quote), space, space, path)
        parts.append('(%s)' % term if parenthesised else term)
    expected = tuple(dict.fromkeys(term[0] for term in terms))
    assert groups_of_filter(' || '.join(parts)) == expected
    # The same filter with one more condition is no longer read.
    assert groups_of_filter(' || '.join(parts) + ' && "x" in groups') is None
