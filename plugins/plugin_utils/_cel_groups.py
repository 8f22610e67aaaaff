# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The identity-provider groups a Confluent group mapping's CEL filter tests.

Only one form is read: one or more ``"<name>" in <claims path>`` joined by ``||``, with any
redundant parentheses, for example ``"eng" in groups || ("ops" in claims.groups)``. Any other
filter (``&&``, ``!``, ``==``, a function call, an index, a number...) tests something else as
well, so its groups cannot be told without guessing: ``groups_of_filter`` answers None for it.

The tokens follow CEL's lexical grammar (cel-spec langdef.md): string literals in either quote,
triple-quoted or raw (``r"..."``), with CEL's escapes; identifiers; ``//`` comments.
"""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r'[_a-zA-Z][_a-zA-Z0-9]*')
_WHITESPACE = ' \t\n\r\f'
# CEL's literals and reserved words cannot name a claim.
_NOT_IDENTIFIERS = frozenset(('true', 'false', 'null', 'as', 'break', 'const', 'continue', 'else', 'for', 'function',
                              'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while'))
_ESCAPES = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
            '\\': '\\', '?': '?', '"': '"', "'": "'", '`': '`'}
_HEX_ESCAPES = {'x': 2, 'X': 2, 'u': 4, 'U': 8}
# Deeper nesting than any hand-written filter is refused rather than recursed into.
_MAX_DEPTH = 50

# Token kinds.
STRING, IDENT, IN, OR, DOT, OPEN, CLOSE = 'string', 'identifier', 'in', '||', '.', '(', ')'


class FilterNotRead(ValueError):
    """The filter is not of the one form whose groups can be read."""


def tokens(text):
    """The filter's tokens as ``(kind, value)`` pairs; FilterNotRead at the first character outside the form."""
    found = []
    position = 0
    while position < len(text):
        char = text[position]
        if char in _WHITESPACE:
            position += 1
        elif text.startswith('//', position):
            end = text.find('\n', position)
            position = len(text) if end < 0 else end + 1
        elif text.startswith('||', position):
            found.append((OR, OR))
            position += 2
        elif char in '.()':
            found.append((char, char))
            position += 1
        elif char in '"\'' or (char in 'rR' and text[position + 1:position + 2] in ('"', "'")):
            value, position = _string(text, position)
            found.append((STRING, value))
        else:
            match = _IDENTIFIER.match(text, position)
            if not match:
                raise FilterNotRead('unexpected %r at offset %d' % (char, position))
            word = match.group()
            if word in _NOT_IDENTIFIERS:
                raise FilterNotRead('%r at offset %d is not a claim' % (word, position))
            found.append((IN, IN) if word == 'in' else (IDENT, word))
            position = match.end()
    return found


def _string(text, start):
    """A string literal at ``start``: its value and the offset after it."""
    position = start
    raw = text[position] in 'rR'
    if raw:
        position += 1
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


class _Parser:
    """filter := term ('||' term)* ; term := '(' filter ')' | STRING 'in' IDENT ('.' IDENT)*"""

    def __init__(self, found):
        self.found = found
        self.position = 0

    def next_kind(self):
        return self.found[self.position][0] if self.position < len(self.found) else None

    def take(self, kind):
        if self.next_kind() != kind:
            raise FilterNotRead('expected %s, found %s' % (kind, self.next_kind() or 'the end'))
        self.position += 1
        return self.found[self.position - 1][1]

    def disjunction(self, depth=0):
        if depth > _MAX_DEPTH:
            raise FilterNotRead('nested too deep')
        names = self.term(depth)
        while self.next_kind() == OR:
            self.position += 1
            names += self.term(depth)
        return names

    def term(self, depth):
        if self.next_kind() == OPEN:
            self.position += 1
            names = self.disjunction(depth + 1)
            self.take(CLOSE)
            return names
        name = self.take(STRING)
        self.take(IN)
        self.take(IDENT)
        while self.next_kind() == DOT:
            self.position += 1
            self.take(IDENT)
        return [name]

    def whole(self):
        names = self.disjunction()
        if self.position != len(self.found):
            raise FilterNotRead('unexpected %s after the last group' % self.next_kind())
        return names


def groups_of_filter(text):
    """The group names a filter of the one readable form tests, each once, in the filter's order;
    None for any other filter (an empty group name included: it names no group)."""
    if not isinstance(text, str):
        return None
    try:
        names = _Parser(tokens(text)).whole()
    except FilterNotRead:
        return None
    if '' in names:
        return None
    return tuple(dict.fromkeys(names))
