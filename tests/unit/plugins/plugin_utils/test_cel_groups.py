# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The groups a Confluent group mapping's CEL filter tests: one form is read, every other is left unattributed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.sso.mappings.plugins.plugin_utils._cel_groups import FilterNotRead, everyone_reason, groups_of_filter, parse, tokens


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
    # CEL's operators are tokens; a lone & is not one.
    assert [kind for kind, value in tokens('!a && b.c("x") == [1, 2u, 0x1F, .5e3] ? {"k": b"v"} : -1')] == [
        '!', 'identifier', '&&', 'identifier', '.', 'identifier', '(', 'string', ')', '==', '[', 'number', ',', 'number', ',',
        'number', ',', 'number', ']', '?', '{', 'string', ':', 'bytes', '}', ':', '-', 'number']
    assert tokens('true || null') == [('literal', 'true'), ('||', '||'), ('literal', 'null')]
    with pytest.raises(FilterNotRead, match="unexpected '&' at offset 4"):
        tokens('a in& b')
    with pytest.raises(FilterNotRead, match="'if' at offset 0 is a reserved word"):
        tokens('if')


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


# --- everyone_reason: does a filter match users whatever their groups? -------------------------

@pytest.mark.parametrize('text', [
    '"eng" in groups',
    '"eng" in groups || "ops" in claims.groups',
    '"a" in groups && claims.email_verified',
    'claims.email_verified && "a" in groups',
    '"a" in groups && claims.email.endsWith("@example.com") || "b" in claims.groups',
    '("a" in groups || "b" in groups) && has(claims.email)',
    'has(claims.groups) && "a" in claims.groups',
    '(("a" in groups)) || ("b" in groups && !claims.suspended)',
    '"it\\"s" in groups && claims["email"] != ""',
    '"x" in groups && ("a" in groups || true)',
    '// engineers only\n"eng" in groups',
])
def test_a_filter_whose_every_alternative_requires_a_named_group_is_safe(text):
    assert everyone_reason(text) is None


@pytest.mark.parametrize('text, alternative', [
    ('true', '`true`'),
    ('claims.email != ""', '`claims.email != ""`'),
    ('!("a" in groups)', '`!("a" in groups)`'),
    ('"eng" in groups || true', '`true`'),
    ('"eng" in groups || claims.email.endsWith("@example.com")', '`claims.email.endsWith("@example.com")`'),
    ('("a" in groups || true) && claims.email_verified', '`("a" in groups || true) && claims.email_verified`'),
    ('has(claims.groups)', '`has(claims.groups)`'),
    ('"a" in groups ? true : false', '`"a" in groups ? true : false`'),
    ('"a" in ["a", "b"]', '`"a" in ["a", "b"]`'),
    ('"" in groups', '`"" in groups`'),
    ('"a" in groups == true', '`"a" in groups == true`'),
    ('size(claims.groups) > 0', '`size(claims.groups) > 0`'),
    ('1 == 1', '`1 == 1`'),
])
def test_an_alternative_that_requires_no_named_group_matches_everyone(text, alternative):
    reason = everyone_reason(text)
    assert reason == 'the alternative %s tests no "<name>" in <claims path>, so it matches users whatever their groups' % alternative


@pytest.mark.parametrize('text', [
    '', '   ', '// only a comment', '"a" in groups &&', '"a" in groups | true', '("a" in groups', '"unterminated in groups',
    '"a" in if', 'f(a,)', '[1, 2', '{"a" 1}', '"bad \\q" in groups', '1a', '(' * 60 + '"a" in groups' + ')' * 60,
])
def test_a_filter_that_cannot_be_parsed_is_reported_as_such(text):
    reason = everyone_reason(text)
    assert reason.startswith('the filter cannot be parsed as CEL (') and reason.endswith('), so it may match anyone')


@pytest.mark.parametrize('value', [None, 42, ['"eng" in groups']])
def test_a_filter_that_is_not_text_is_not_safe(value):
    assert 'cannot be parsed' in everyone_reason(value)


def test_the_tree_follows_cel_precedence():
    tree = parse('!a.b(c)[0] || d && -e + f * g in h ? i : j')
    assert tree.kind == 'condition'
    test = tree.children[0]
    assert (test.kind, test.value) == ('or', '||')
    assert test.children[0].kind == 'not' and test.children[0].children[0].kind == 'index'
    conjunction = test.children[1]
    assert conjunction.kind == 'and'
    relation = conjunction.children[1]
    assert (relation.kind, relation.value) == ('relation', 'in')
    addition = relation.children[0]
    assert (addition.value, addition.children[0].kind, addition.children[1].value) == ('+', 'negate', '*')
    assert parse('Msg{a: 1, b: [1, 2,], c: {"k": 2}}').kind == 'message'
    assert parse('.root.x').children[0].value == '.root'


# Pieces of CEL, valid and not, so that generated filters reach deep into the parser before they fail (or not).
CEL_PIECES = st.sampled_from([
    '"a"', "'b'", '"" ', 'r"c"', 'b"d"', '"""e"""', '1', '2u', '0x1F', '1.5', '.5e3', 'true', 'false', 'null',
    'groups', 'claims', '.groups', 'in', '||', '&&', '!', '-', '+', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=',
    '?', ':', ',', '.', '(', ')', '[', ']', '{', '}', 'has(', 'size(', 'endsWith(', 'exists(', ' ', '\n', '// c\n',
    '"\\"', '"\\q"', '&', '|', '@', 'if', '"unterminated',
])


@given(st.one_of(st.text(max_size=40), st.lists(CEL_PIECES, max_size=25).map(''.join)))
def test_no_filter_that_cannot_be_parsed_is_ever_reported_as_safe(text):
    try:
        parse(text)
    except FilterNotRead:
        assert everyone_reason(text) is not None
        assert groups_of_filter(text) is None
    # Every filter whose groups are read requires one of them.
    if groups_of_filter(text) is not None:
        assert everyone_reason(text) is None


NAMED = st.builds(lambda name, path: '%s in %s' % (cel_string(name, '"'), path),
                  st.text(min_size=1, max_size=8), st.sampled_from(['groups', 'claims.groups']))
OTHER = st.sampled_from(['claims.email_verified', 'has(claims.email)', 'claims.email.endsWith("@x.com")', 'true',
                         '!("x" in groups)', 'size(claims.groups) > 1'])


@st.composite
def safe_filters(draw):
    """A filter whose every || alternative is an && of conditions, one of which tests a named group."""
    alternatives = []
    for _alternative in range(draw(st.integers(1, 4))):
        conditions = [draw(NAMED)] + draw(st.lists(OTHER, max_size=3))
        conditions = draw(st.permutations(conditions))
        alternatives.append(' && '.join('(%s)' % c if draw(st.booleans()) else c for c in conditions))
    return ' || '.join('(%s)' % a if draw(st.booleans()) else a for a in alternatives)


@given(safe_filters(), OTHER)
def test_a_filter_is_safe_until_an_alternative_without_a_group_joins_it(text, other):
    assert everyone_reason(text) is None
    assert everyone_reason('%s || %s' % (text, other)) is not None
    assert everyone_reason('%s || (%s)' % (other, text)) is not None
