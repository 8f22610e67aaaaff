# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""What a Confluent group mapping's CEL filter tests: the groups it names, and whether it matches everyone.

One parser reads CEL's expression grammar (cel-spec langdef.md): ``? :``, ``||``, ``&&``, relations
(``in`` among them), arithmetic, ``!`` and unary ``-``, member access, calls (``has(...)``,
``x.endsWith(...)``, macros), indexes, list, map and message literals; the tokens follow CEL's
lexical grammar: string literals in either quote, triple-quoted, raw (``r"..."``) or bytes, with
CEL's escapes; numbers; identifiers; ``//`` comments. Two questions are asked of the tree:

- ``groups_of_filter``: the groups of a filter of one form only, one or more ``"<name>" in <claims
  path>`` joined by ``||`` with any redundant parentheses (``"eng" in groups || ("ops" in
  claims.groups)``). Any other filter tests something else as well, so its groups cannot be told
  without guessing: the answer is None.
- ``everyone_reason``: why a filter may match a user whatever the user's groups, or None when it
  cannot. A filter is safe only when every ``||`` alternative requires membership of a named group:
  it is ``"<name>" in <claims path>``, or an ``&&`` of conditions one of which requires it
  (``"a" in groups && claims.email_verified``). ``true``, ``claims.email != ""``,
  ``!("a" in groups)``, a condition (``? :``) and a filter that cannot be parsed are not safe.
  Every filter ``groups_of_filter`` reads is safe.
"""

from __future__ import annotations

import re
from collections import namedtuple

_IDENTIFIER = re.compile(r'[_a-zA-Z][_a-zA-Z0-9]*')
# CEL's number literals: hexadecimal and decimal integers (a ``u`` suffix makes them unsigned) and doubles.
_NUMBER = re.compile(r'0[xX][0-9a-fA-F]+[uU]?|(?:[0-9]+\.[0-9]+|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+[uU]?')
_WHITESPACE = ' \t\n\r\f'
# CEL's literals and reserved words cannot name anything.
_LITERALS = frozenset(('true', 'false', 'null'))
_RESERVED = frozenset(('as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop',
                       'package', 'namespace', 'return', 'var', 'void', 'while'))
_ESCAPES = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
            '\\': '\\', '?': '?', '"': '"', "'": "'", '`': '`'}
_HEX_ESCAPES = {'x': 2, 'X': 2, 'u': 4, 'U': 8}
# Operators, longest first.
_OPERATORS = ('||', '&&', '==', '!=', '<=', '>=', '<', '>', '!', '+', '-', '*', '/', '%', '?', ':', ',',
              '.', '(', ')', '[', ']', '{', '}')
_RELATIONS = frozenset(('==', '!=', '<', '<=', '>', '>=', 'in'))
# Deeper nesting than any hand-written filter is refused rather than recursed into.
_MAX_DEPTH = 50

# Token kinds; an operator's kind is its text.
STRING, BYTES, NUMBER, LITERAL, IDENT, IN = 'string', 'bytes', 'number', 'literal', 'identifier', 'in'
OR, AND, NOT, DOT, OPEN, CLOSE = '||', '&&', '!', '.', '(', ')'


class FilterNotRead(ValueError):
    """The filter cannot be parsed as CEL, or is not of the form asked for."""


Token = namedtuple('Token', 'kind value start end')
# A node of the tree: its kind, a value (a literal's, an operator, a name), its children, and where it is in the text.
Node = namedtuple('Node', 'kind value children start end')


# --- tokens ------------------------------------------------------------------------------------

def tokens(text):
    """The filter's tokens as ``(kind, value)`` pairs; FilterNotRead at the first character that is not CEL."""
    return [(token.kind, token.value) for token in _scan(text)]


def _scan(text):
    found = []
    position = 0
    while position < len(text):
        char = text[position]
        start = position
        if char in _WHITESPACE:
            position += 1
            continue
        if text.startswith('//', position):
            end = text.find('\n', position)
            position = len(text) if end < 0 else end + 1
            continue
        prefix = _string_prefix(text, position)
        number = _NUMBER.match(text, position) if char.isdigit() or (char == '.' and text[position + 1:position + 2].isdigit()) else None
        if prefix is not None:
            value, position = _string(text, position, prefix)
            found.append(Token(BYTES if 'b' in prefix.lower() else STRING, value, start, position))
        elif number:
            if _IDENTIFIER.match(text, number.end()):
                raise FilterNotRead('a bad number at offset %d' % start)
            position = number.end()
            found.append(Token(NUMBER, number.group(), start, position))
        elif _IDENTIFIER.match(text, position):
            word = _IDENTIFIER.match(text, position).group()
            if word in _RESERVED:
                raise FilterNotRead('%r at offset %d is a reserved word' % (word, position))
            position += len(word)
            kind = IN if word == 'in' else LITERAL if word in _LITERALS else IDENT
            found.append(Token(kind, word, start, position))
        else:
            operator = next((op for op in _OPERATORS if text.startswith(op, position)), None)
            if operator is None:
                raise FilterNotRead('unexpected %r at offset %d' % (char, position))
            position += len(operator)
            found.append(Token(operator, operator, start, position))
    return found


def _string_prefix(text, position):
    """The prefix of a string literal starting at ``position`` (``''``, ``r``, ``b``, ``br``...), or None."""
    for length in (0, 1, 2):
        prefix = text[position:position + length]
        if len(prefix) == length and text[position + length:position + length + 1] in ('"', "'") \
                and (length == 0 or set(prefix.lower()) <= {'r', 'b'} and len(set(prefix.lower())) == length):
            return prefix
    return None


def _string(text, start, prefix):
    """A string literal at ``start``: its value and the offset after it."""
    position = start + len(prefix)
    raw = 'r' in prefix.lower()
    quote = text[position]
    if text.startswith(quote * 3, position):
        quote *= 3
    position += len(quote)
    value = []
    while True:
        if position >= len(text):
            raise FilterNotRead('unterminated string at offset %d' % start)
        if text.startswith(quote, position):
            return ''.join(value), position + len(quote)
        char = text[position]
        if char in '\r\n' and len(quote) == 1:
            raise FilterNotRead('a line break in the string at offset %d' % start)
        if char == '\\' and not raw:
            decoded, position = _escape(text, position)
            value.append(decoded)
            continue
        value.append(char)
        position += 1


def _escape(text, position):
    """The character of the escape sequence at ``position`` (a backslash) and the offset after it."""
    kind = text[position + 1:position + 2]
    if kind in _ESCAPES:
        return _ESCAPES[kind], position + 2
    if kind in _HEX_ESCAPES:
        digits = text[position + 2:position + 2 + _HEX_ESCAPES[kind]]
        if len(digits) != _HEX_ESCAPES[kind] or not all(d in '0123456789abcdefABCDEF' for d in digits):
            raise FilterNotRead('a bad \\%s escape at offset %d' % (kind, position))
        return _code_point(int(digits, 16), position), position + 2 + len(digits)
    digits = text[position + 1:position + 4]
    if len(digits) == 3 and digits[0] in '0123' and all(d in '01234567' for d in digits):
        return _code_point(int(digits, 8), position), position + 4
    raise FilterNotRead('an unknown escape at offset %d' % position)


def _code_point(value, position):
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        raise FilterNotRead('an escape at offset %d is not a character' % position)
    return chr(value)


# --- the tree ----------------------------------------------------------------------------------

class _Parser:
    """CEL's expression grammar (cel-spec langdef.md), by recursive descent:

    expr := or ('?' or ':' expr)? ; or := and ('||' and)* ; and := relation ('&&' relation)* ;
    relation := addition (RELOP addition)* ; addition := product (('+'|'-') product)* ;
    product := unary (('*'|'/'|'%') unary)* ; unary := member | '!'+ member | '-'+ member ;
    member := primary ('.' IDENT ('(' args ')')? | '[' expr ']')* ;
    primary := '.'? IDENT ('(' args ')' | '{' fields '}')? | '(' expr ')' | '[' list ']' | '{' map '}' | literal
    """

    def __init__(self, found):
        self.found = found
        self.position = 0
        self.depth = 0

    def peek(self):
        return self.found[self.position].kind if self.position < len(self.found) else None

    def take(self, kind):
        if self.peek() != kind:
            raise FilterNotRead('expected %s, found %s' % (kind, self._found_here()))
        self.position += 1
        return self.found[self.position - 1]

    def _found_here(self):
        if self.position >= len(self.found):
            return 'the end'
        token = self.found[self.position]
        return '%r at offset %d' % (token.value, token.start)

    def end_of(self, node):
        return self.found[self.position - 1].end if self.position else node.start

    def whole(self):
        if not self.found:
            raise FilterNotRead('the filter is empty')
        node = self.expr()
        if self.position != len(self.found):
            raise FilterNotRead('unexpected %s' % self._found_here())
        return node

    def expr(self):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise FilterNotRead('nested too deep')
        node = self._binary(0)
        if self.peek() == '?':
            self.position += 1
            then = self._binary(0)
            self.take(':')
            otherwise = self.expr()
            node = Node('condition', '?', (node, then, otherwise), node.start, otherwise.end)
        self.depth -= 1
        return node

    # Binary operators by precedence, loosest first; each level is left-associative.
    _LEVELS = ((OR,), (AND,), tuple(_RELATIONS), ('+', '-'), ('*', '/', '%'))
    _KINDS = ('or', 'and', 'relation', 'arithmetic', 'arithmetic')

    def _binary(self, level):
        if level == len(self._LEVELS):
            return self.unary()
        node = self._binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            operator = self.found[self.position].kind
            self.position += 1
            right = self._binary(level + 1)
            node = Node(self._KINDS[level], operator, (node, right), node.start, right.end)
        return node

    def unary(self):
        if self.peek() in (NOT, '-'):
            token = self.take(self.peek())
            operand = self.unary()
            return Node('not' if token.kind == NOT else 'negate', token.kind, (operand,), token.start, operand.end)
        return self.member()

    def member(self):
        node = self.primary()
        while self.peek() in (DOT, '['):
            if self.take(self.peek()).kind == DOT:
                name = self.take(IDENT)
                if self.peek() == OPEN:
                    arguments = self.arguments(CLOSE)
                    node = Node('call', name.value, (node,) + arguments, node.start, self.end_of(node))
                else:
                    node = Node('select', name.value, (node,), node.start, name.end)
            else:
                index = self.expr()
                self.take(']')
                node = Node('index', '[]', (node, index), node.start, self.end_of(node))
        return node

    def arguments(self, closing, pairs=False):
        """The elements up to ``closing`` (already at the opening token), a trailing comma allowed except in a call."""
        self.position += 1
        found = []
        while self.peek() != closing:
            element = self.expr()
            if pairs:
                self.take(':')
                element = Node('entry', ':', (element, self.expr()), element.start, self.end_of(element))
            found.append(element)
            if self.peek() != ',':
                break
            self.position += 1
            if closing == CLOSE and self.peek() == CLOSE:
                raise FilterNotRead('a trailing comma in a call at offset %d' % self.found[self.position - 1].start)
        self.take(closing)
        return tuple(found)

    def primary(self):
        kind = self.peek()
        if kind is None:
            raise FilterNotRead('unexpected end of the filter')
        token = self.found[self.position]
        if kind in (STRING, BYTES, NUMBER, LITERAL):
            self.position += 1
            return Node(kind, token.value, (), token.start, token.end)
        if kind == OPEN:
            self.position += 1
            inner = self.expr()
            self.take(CLOSE)
            return Node('parentheses', '()', (inner,), token.start, self.end_of(inner))
        if kind == '[':
            items = self.arguments(']')
            return Node('list', '[]', items, token.start, self.end_of(token))
        if kind == '{':
            entries = self.arguments('}', pairs=True)
            return Node('map', '{}', entries, token.start, self.end_of(token))
        rooted = kind == DOT
        if rooted:
            self.position += 1
        name = self.take(IDENT)
        if self.peek() == OPEN:
            arguments = self.arguments(CLOSE)
            return Node('call', name.value, (None,) + arguments, token.start, self.end_of(token))
        if self.peek() == '{':
            fields = self.arguments('}', pairs=True)
            return Node('message', name.value, fields, token.start, self.end_of(token))
        return Node('identifier', ('.' if rooted else '') + name.value, (), token.start, name.end)


def parse(text):
    """The filter's tree; FilterNotRead when it is not CEL."""
    if not isinstance(text, str):
        raise FilterNotRead('the filter is not text')
    return _Parser(_scan(text)).whole()


# --- what the tree tests -----------------------------------------------------------------------

def _is_path(node):
    """A claims path: an identifier, or fields selected from one (``groups``, ``claims.groups``)."""
    while node.kind == 'select':
        node = node.children[0]
    return node.kind == 'identifier' and not node.value.startswith('.')


def _group_tested(node):
    """The name that ``"<name>" in <claims path>`` tests, or None for any other node."""
    if node.kind == 'relation' and node.value == IN:
        name, path = node.children
        if name.kind == STRING and _is_path(path):
            return name.value
    return None


def _without_parentheses(node):
    while node.kind == 'parentheses':
        node = node.children[0]
    return node


def _disjunction_names(node):
    node = _without_parentheses(node)
    if node.kind == 'or':
        return _disjunction_names(node.children[0]) + _disjunction_names(node.children[1])
    name = _group_tested(node)
    if name is None:
        raise FilterNotRead('not a group test')
    return [name]


def groups_of_filter(text):
    """The group names a filter of the one readable form tests, each once, in the filter's order;
    None for any other filter (an empty group name included: it names no group)."""
    try:
        names = _disjunction_names(parse(text))
    except FilterNotRead:
        return None
    if '' in names:
        return None
    return tuple(dict.fromkeys(names))


def _alternatives(node):
    """The ``||`` alternatives of a node, parentheses looked through."""
    node = _without_parentheses(node)
    if node.kind == 'or':
        return _alternatives(node.children[0]) + _alternatives(node.children[1])
    return [node]


def _requires_group(node):
    """Whether a node can only be true for a member of a named group."""
    node = _without_parentheses(node)
    if node.kind == 'or':
        return all(_requires_group(child) for child in node.children)
    if node.kind == 'and':
        return any(_requires_group(child) for child in node.children)
    return bool(_group_tested(node))


def everyone_reason(text):
    """Why the filter may match a user whatever the user's groups, or None when every ``||`` alternative
    requires membership of a named group. A filter that cannot be parsed is never safe."""
    try:
        tree = parse(text)
    except FilterNotRead as error:
        return 'the filter cannot be parsed as CEL (%s), so it may match anyone' % error
    for alternative in _alternatives(tree):
        if not _requires_group(alternative):
            return 'the alternative %s tests no "<name>" in <claims path>, so it matches users whatever their groups' % (
                _quoted(text[alternative.start:alternative.end]))
    return None


def _quoted(text):
    return '`%s`' % ' '.join(text.split()) if len(text) <= 80 else '`%s...`' % ' '.join(text.split())[:77]
