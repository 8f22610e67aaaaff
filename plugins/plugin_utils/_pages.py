# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The pages the collection writes, rendered from Jinja2 templates that escape every value by default.

The filters compute a page's data; a template presents it. The shipped templates are in the
collection's ``playbooks/templates/`` (``<page>.j2``); a user's own template (a path) replaces one and
may ``{% extends %}`` or ``{% include %}`` the shipped ones by name.

Jinja2 is used directly, not through Ansible's templating, which ignores ``{% autoescape %}``: an
HTML page is rendered with autoescaping, so every ``{{ value }}`` is HTML text; a Markdown page with
every ``{{ value }}`` escaped as Markdown text (``markdown_text``), unless the filter already made it
Markdown (``Markdown``: a drift report's cell, a line of an indented code block).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

from ansible.errors import AnsibleFilterError
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'playbooks', 'templates')

HTML = 'html'
MARKDOWN = 'md'

_MARKDOWN_ESCAPES = str.maketrans({
    # No tag can start: a viewer that renders HTML in Markdown shows these as text.
    '&': '&amp;', '<': '&lt;', '>': '&gt;',
    # What starts emphasis, code, links, strikethrough or a new cell inside a cell.
    '\\': '\\\\', '|': '\\|', '`': '\\`', '*': '\\*', '[': '\\[', ']': '\\]', '~': '\\~',
})
# An underscore between two letters or digits cannot start emphasis (CommonMark): GROUP_OWNER stays as it is.
_MARKDOWN_UNDERSCORE = re.compile(r'(?<![^\W_])_|_(?![^\W_])')


class Markdown(str):
    """Text that is already Markdown: a Markdown page shows it as it is."""


def text(value):
    return '' if value is None else str(value)


def markdown_text(value):
    """A value as text in a Markdown table cell or heading: every character that could start markup is escaped,
    a line break is a ``<br>``."""
    if isinstance(value, Markdown):
        return value
    escaped = _MARKDOWN_UNDERSCORE.sub(r'\\_', text(value).translate(_MARKDOWN_ESCAPES))
    return '<br>'.join(escaped.replace('\r\n', '\n').replace('\r', '\n').split('\n'))


def csp_hash(source):
    """The Content-Security-Policy source that lets exactly this inline script or style run."""
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text(source).encode('utf-8')).digest()).decode('ascii')


def breakable(value):
    """HTML text with a line-break opportunity after each slash (long CRNs)."""
    return Markup('/<wbr>').join(escape(part) for part in text(value).split('/'))


def shipped(name):
    """The text of a file shipped beside the templates (a page's style or script)."""
    with open(os.path.join(TEMPLATES, name), encoding='utf-8') as source:
        return source.read()


_ENVIRONMENTS = {}


def _environment(kind, directory):
    """One environment per format and user template directory; the shipped templates win on a name."""
    key = (kind, directory)
    if key not in _ENVIRONMENTS:
        loaders = [FileSystemLoader(TEMPLATES)] + ([FileSystemLoader(directory)] if directory else [])
        options = {'autoescape': True} if kind == HTML else {'autoescape': False, 'finalize': markdown_text}
        environment = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, keep_trailing_newline=True,
                                  trim_blocks=True, lstrip_blocks=True, **options)
        environment.filters.update({'csp_hash': csp_hash, 'breakable': breakable})
        _ENVIRONMENTS[key] = environment
    return _ENVIRONMENTS[key]


def render(page, context, template=None):
    """The page ``page`` (``access-review.html``, ``drift-report.md``...) from its shipped template, or from the
    user's ``template`` (a path on the controller), escaped for the page's format."""
    kind = HTML if page.endswith('.html') else MARKDOWN
    where = text(template) or page
    try:
        if template:
            path = os.path.abspath(os.path.expanduser(text(template)))
            try:
                with open(path, encoding='utf-8') as source:
                    body = source.read()
            except OSError as error:
                raise AnsibleFilterError('sso.mappings: cannot read the template %s for %s: %s' % (path, page, error.strerror)) from error
            where = path
            compiled = _environment(kind, os.path.dirname(path)).from_string(body)
        else:
            where = os.path.join(TEMPLATES, page + '.j2')
            compiled = _environment(kind, None).get_template(page + '.j2')
        return compiled.render(context)
    except TemplateError as error:
        raise AnsibleFilterError('sso.mappings: the template %s for %s failed: %s%s' % (
            where, page, error, ' (line %s)' % error.lineno if getattr(error, 'lineno', None) else '')) from error
