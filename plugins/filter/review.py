# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the review playbook: who gets which access where, by identity-provider group.

``access_review`` joins every target's live mappings into the report the playbook writes as JSON;
``access_review_csv``, ``access_review_markdown`` and ``access_review_html`` render that report,
``access_review_summary`` counts it. Every value in the report comes from an API, so each
renderer escapes every value for its format.

Documentation: one sidecar YAML file per filter, next to this file.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import re
from datetime import datetime, timezone

from ansible.errors import AnsibleFilterError

from ansible_collections.sso.mappings.plugins.plugin_utils._cel_groups import groups_of_filter
from ansible_collections.sso.mappings.plugins.plugin_utils._plain import plain

# The platforms in the order the pages show them side by side, and their short names.
PLATFORMS = {'confluent': 'Confluent Cloud', 'atlas': 'MongoDB Atlas', 'aria': 'Aria Suite Lifecycle'}
SHORT_NAMES = {'confluent': 'Confluent', 'atlas': 'Atlas', 'aria': 'Aria'}

# Roles that administer a whole organization, environment, project or appliance, including who else
# gets access there. Confluent: OrganizationAdmin and EnvironmentAdmin grant roles in their scope,
# AccountAdmin manages every user and service account of the organization; CloudClusterAdmin and
# ResourceOwner stay within one cluster or resource and are not marked.
PRIVILEGED_ROLES = {
    'confluent': ('AccountAdmin', 'EnvironmentAdmin', 'OrganizationAdmin'),
    'atlas': ('GROUP_OWNER', 'ORG_OWNER'),
    'aria': ('LCM Admin', 'LCM Cloud Admin'),
}

CSV_HEADER = ('group', 'host', 'provider', 'mapping', 'role', 'scope')
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')

OK = 'ok'
FAILED = 'failed'


def _text(value):
    return '' if value is None else str(value)


def _platform(provider):
    if provider not in PLATFORMS:
        raise AnsibleFilterError('sso.mappings: unknown provider %r; expected one of %s' % (provider, ', '.join(PLATFORMS)))
    return provider


def _platform_name(provider):
    return PLATFORMS.get(provider, provider or 'unknown')


def is_privileged(grant):
    return grant.get('role') in PRIVILEGED_ROLES.get(grant.get('provider'), ())


# --- access_review -------------------------------------------------------------------------------
# Each reader gives a live mapping's key, the groups it is for (None: not known) and its (role, scope) pairs.

def _confluent(mapping):
    bindings = [(_text(b.get('role_name')), _text(b.get('crn_pattern'))) for b in mapping.get('role_bindings') or []]
    return _text(mapping.get('display_name') or mapping.get('id')), groups_of_filter(mapping.get('filter')), bindings


def _atlas(mapping):
    name = _text(mapping.get('external_group_name'))
    assignments = []
    for assignment in mapping.get('role_assignments') or []:
        if assignment.get('project_id'):
            scope = 'project:%s' % assignment['project_id']
        else:
            scope = 'org:%s' % _text(assignment.get('org_id'))
        assignments.append((_text(assignment.get('role')), scope))
    return name, (name,) if name else None, assignments


def _aria(mapping):
    name = _text(mapping.get('display_name'))
    roles = [(_text(role), 'appliance') for role in mapping.get('mapped_roles') or []]
    return '%s@%s' % (name, _text(mapping.get('domain'))), (name,) if name else None, roles


READERS = {'confluent': _confluent, 'atlas': _atlas, 'aria': _aria}
_PLATFORM_ORDER = dict((name, index) for index, name in enumerate(PLATFORMS))


def _grant_order(grant):
    return (_PLATFORM_ORDER.get(grant['provider'], len(PLATFORMS)), grant['host'], grant['mapping'], grant['role'], grant['scope'])


def access_review(entries, generated_at=None):
    """The access review from ``{host: entry}``: an entry is ``{provider, status: ok, mappings, projects?}``
    (an _info module's ``mappings``) or a failed one ``{provider, status: failed, error}``."""
    entries = plain(entries or {})
    if not isinstance(entries, dict):
        raise AnsibleFilterError('sso.mappings.access_review: expected a dictionary of host name to entry')
    targets, by_group, unattributed = [], {}, []
    for host in sorted(entries):
        entry = entries[host] or {}
        if entry.get('status') == FAILED or entry.get('failed'):
            targets.append({'host': host, 'provider': entry.get('provider'), 'status': FAILED,
                            'error': _text(entry.get('error') or entry.get('msg') or 'failed without a message')})
            continue
        provider = _platform(entry.get('provider'))
        targets.append({'host': host, 'provider': provider, 'status': OK})
        for mapping in entry.get('mappings') or []:
            if not isinstance(mapping, dict):
                raise AnsibleFilterError('sso.mappings.access_review: %s: every mapping must be a dictionary, got %r' % (host, mapping))
            key, groups, pairs = READERS[provider](mapping)
            # A mapping that grants nothing still appears, so that a reviewer sees it.
            grants = [{'host': host, 'provider': provider, 'mapping': key, 'role': role, 'scope': scope}
                      for role, scope in sorted(set(pairs) or [('', '')])]
            if groups is None:
                unattributed.append({'host': host, 'provider': provider, 'mapping': key,
                                     'filter': _text(mapping.get('filter')), 'grants': grants})
                continue
            for group in groups:
                by_group.setdefault(group, []).extend(dict(grant) for grant in grants)
    unattributed.sort(key=lambda item: (item['host'], item['mapping'], item['filter']))
    return {
        'generated_at': generated_at or datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'targets': targets,
        'groups': [{'group': group, 'grants': sorted(by_group[group], key=_grant_order)} for group in sorted(by_group)],
        'unattributed': unattributed,
    }


# --- access_review_summary -----------------------------------------------------------------------

def _rows(report):
    """Every (group, grant) of the report, attributed ones first; an unattributed grant's group is ''."""
    for group in report.get('groups') or []:
        for grant in group.get('grants') or []:
            yield _text(group.get('group')), grant
    for item in report.get('unattributed') or []:
        for grant in item.get('grants') or []:
            yield '', grant


def access_review_summary(report):
    """Counts of the report, for set_stats and the pages' headers."""
    report = plain(report or {})
    rows = list(_rows(report))
    granting = [(group, grant) for group, grant in rows if grant.get('role')]
    privileged = [(group, grant) for group, grant in granting if is_privileged(grant)]
    targets = report.get('targets') or []
    return {
        'targets': len(targets),
        'failed_targets': sum(1 for target in targets if target.get('status') == FAILED),
        'groups': len(report.get('groups') or []),
        'grants': len(granting),
        'privileged_grants': len(privileged),
        'privileged_groups': len(set(group for group, grant in privileged if group)),
        'mappings_granting_nothing': len(set((grant.get('host'), grant.get('provider'), grant.get('mapping'))
                                             for group, grant in rows if not grant.get('role'))),
        'unattributed': len(report.get('unattributed') or []),
    }


# --- access_review_csv ---------------------------------------------------------------------------

def _sheet_cell(value):
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe."""
    text = _text(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def access_review_csv(report):
    """One row per grant: ``group,host,provider,mapping,role,scope``; unattributed grants with an empty group."""
    report = plain(report or {})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(CSV_HEADER)
    for group, grant in _rows(report):
        writer.writerow([_sheet_cell(value) for value in (group, grant.get('host'), grant.get('provider'), grant.get('mapping'),
                                                          grant.get('role'), grant.get('scope'))])
    return out.getvalue()


# --- access_review_markdown ----------------------------------------------------------------------

_MARKDOWN_ESCAPES = str.maketrans({
    # No tag can start: a viewer that renders HTML in Markdown shows these as text.
    '&': '&amp;', '<': '&lt;', '>': '&gt;',
    # What starts emphasis, code, links, strikethrough or a new cell inside a cell.
    '\\': '\\\\', '|': '\\|', '`': '\\`', '*': '\\*', '[': '\\[', ']': '\\]', '~': '\\~',
})
# An underscore between two letters or digits cannot start emphasis (CommonMark): GROUP_OWNER stays as it is.
_MARKDOWN_UNDERSCORE = re.compile(r'(?<![^\W_])_|_(?![^\W_])')


def _md(value):
    """A value as text in a Markdown table cell or heading."""
    text = _MARKDOWN_UNDERSCORE.sub(r'\\_', _text(value).translate(_MARKDOWN_ESCAPES))
    return '<br>'.join(line for line in text.replace('\r\n', '\n').replace('\r', '\n').split('\n'))


def _project_names(projects):
    return dict((str(k), _text(v)) for k, v in (plain(projects) or {}).items()) if isinstance(projects, dict) else {}


def _scope_label(grant, projects):
    """The scope as people read it: an Atlas project's name beside its id where the run knows it."""
    scope = _text(grant.get('scope'))
    if grant.get('provider') == 'atlas' and scope.startswith('project:') and projects.get(scope[len('project:'):]):
        return scope, projects[scope[len('project:'):]]
    return scope, None


def _md_role(grant):
    if not grant.get('role'):
        return '(grants nothing)'
    return '%s **(privileged)**' % _md(grant['role']) if is_privileged(grant) else _md(grant['role'])


def _md_scope(grant, projects):
    scope, name = _scope_label(grant, projects)
    return '%s (%s)' % (_md(scope), _md(name)) if name else _md(scope)


def _md_counts(summary):
    return ('| Groups | Grants | Privileged grants | Mappings that grant nothing | Unattributed mappings | Targets | Targets not read |\n'
            '|---:|---:|---:|---:|---:|---:|---:|\n'
            '| %(groups)d | %(grants)d | %(privileged_grants)d | %(mappings_granting_nothing)d | %(unattributed)d | %(targets)d '
            '| %(failed_targets)d |' % summary)


def _privileged_legend():
    return '; '.join('%s %s' % (SHORT_NAMES[p], ', '.join(PRIVILEGED_ROLES[p])) for p in PLATFORMS)


def access_review_markdown(report, projects=None):
    """The report as Markdown: summary counts, then one row per grant grouped by identity-provider group."""
    report = plain(report or {})
    projects = _project_names(projects)
    summary = access_review_summary(report)
    targets = report.get('targets') or []
    failed = [t for t in targets if t.get('status') == FAILED]
    lines = ['# SSO access review', '',
             'Who gets which access where, by identity-provider group, from the live mappings of every target. '
             'Generated at %s. Nothing was changed.' % _md(report.get('generated_at')), '',
             _md_counts(summary), '',
             '**(privileged)** marks roles that administer a whole organization, environment, project or appliance: %s.'
             % _md(_privileged_legend()), '']
    if failed:
        lines += ['## Targets that could not be read', '',
                  'The review is incomplete: these targets are missing from it.', '',
                  '| Target | Platform | Error |', '|---|---|---|']
        lines += ['| %s | %s | %s |' % (_md(t.get('host')), _md(_platform_name(t.get('provider'))),
                                        _md(t.get('error'))) for t in failed]
        lines.append('')

    lines += ['## Access by identity-provider group', '']
    if report.get('groups'):
        lines += ['| Group | Platform | Target | Mapping | Role | Scope |', '|---|---|---|---|---|---|']
        for group in report['groups']:
            for grant in group.get('grants') or []:
                lines.append('| %s | %s | %s | %s | %s | %s |' % (
                    _md(group.get('group')), _md(_platform_name(grant.get('provider'))), _md(grant.get('host')),
                    _md(grant.get('mapping')), _md_role(grant), _md_scope(grant, projects)))
    else:
        lines.append('No mapping of a target that was read names an identity-provider group.')
    lines.append('')

    nothing = sorted(set((_text(group), _text(grant.get('provider')), _text(grant.get('host')), _text(grant.get('mapping')))
                         for group, grant in _rows(report) if not grant.get('role')))
    if nothing:
        lines += ['## Mappings that grant nothing', '', '| Group | Platform | Target | Mapping |', '|---|---|---|---|']
        lines += ['| %s | %s | %s | %s |' % (_md(group) if group else '(unattributed)', _md(_platform_name(provider)),
                                             _md(host), _md(mapping)) for group, provider, host, mapping in nothing]
        lines.append('')

    if report.get('unattributed'):
        lines += ['## Confluent filters that could not be attributed', '',
                  'Only a filter of one or more `"<name>" in <claims path>` joined by `||` names its groups; '
                  'these filters test something else, so their groups are not guessed.', '',
                  '| Target | Mapping | Filter | Role | Scope |', '|---|---|---|---|---|']
        for item in report['unattributed']:
            for grant in item.get('grants') or []:
                lines.append('| %s | %s | %s | %s | %s |' % (_md(item.get('host')), _md(item.get('mapping')),
                                                             _md(item.get('filter')) or '(empty)', _md_role(grant),
                                                             _md_scope(grant, projects)))
        lines.append('')

    lines += ['## Targets', '', '| Target | Platform | Status |', '|---|---|---|']
    lines += ['| %s | %s | %s |' % (_md(t.get('host')), _md(_platform_name(t.get('provider'))),
                                    'read' if t.get('status') == OK else '**could not be read**') for t in targets]
    lines.append('')
    return '\n'.join(lines)


# --- access_review_html --------------------------------------------------------------------------

_STYLE = '''
:root {
  --text: #1c2430; --muted: #5b6675; --line: #dde2e8; --soft: #f4f6f9; --head: #eef1f5; --accent: #1f4fbf;
  --priv: #a3231a; --priv-soft: #fdecea; --priv-line: #f3b4ae; --warn-soft: #fff6e0; --warn-line: #e8c36a;
  --ok: #1d6b3a; --mono: ui-monospace, "SFMono-Regular", "Cascadia Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --text: #e4e8ee; --muted: #a3adba; --line: #38404b; --soft: #1d232b; --head: #252c35; --accent: #8fb1ff;
    --priv: #ffb4ab; --priv-soft: #3b1d1b; --priv-line: #7d3a33; --warn-soft: #3a3018; --warn-line: #8a7330; --ok: #8fd6a5;
  }
  body { background: #14181e; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body {
  margin: 0; color: var(--text); background: #fff; line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "DejaVu Sans", Arial, sans-serif;
}
.page { max-width: 1480px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 1.75rem; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 1.2rem; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
p { margin: 0 0 10px; }
.lead { color: var(--muted); margin-bottom: 18px; max-width: 75ch; }
code, .mono { font-family: var(--mono); font-size: 0.86em; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 0; padding: 0; }
.stat { min-width: 132px; padding: 10px 14px; border: 1px solid var(--line); border-radius: 8px; background: var(--soft); }
.stat dt { font-size: 0.78rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.stat dd { margin: 2px 0 0; font-size: 1.5rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.stat.priv { background: var(--priv-soft); border-color: var(--priv-line); }
.stat.priv dd { color: var(--priv); }
.stat.warn { background: var(--warn-soft); border-color: var(--warn-line); }
.notice { margin: 20px 0 0; padding: 12px 16px; border: 1px solid var(--warn-line); border-left-width: 5px; border-radius: 6px;
  background: var(--warn-soft); }
.notice h2 { margin: 0 0 6px; border: 0; padding: 0; font-size: 1.05rem; }
.legend { color: var(--muted); font-size: 0.9rem; }
.filter { display: flex; align-items: center; gap: 10px; margin: 14px 0 12px; }
.filter label { font-weight: 600; }
.filter input { flex: 0 1 420px; padding: 7px 10px; font: inherit; color: inherit; background: var(--soft);
  border: 1px solid var(--line); border-radius: 6px; }
.filter input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
.count { color: var(--muted); font-size: 0.9rem; }
.no-match { color: var(--muted); font-style: italic; padding: 8px 10px; border-bottom: 1px solid var(--line); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 8px 10px; border-bottom: 1px solid var(--line); }
thead th { position: sticky; top: 0; z-index: 1; background: var(--head); font-size: 0.8rem; text-transform: uppercase;
  letter-spacing: 0.04em; color: var(--muted); border-bottom: 2px solid var(--line); }
table.review th[scope=row] { width: 19%; }
table.review td { width: 27%; }
table.review tbody tr:nth-child(even) { background: var(--soft); }
tr.privileged th[scope=row] { box-shadow: inset 4px 0 0 var(--priv); }
.group { font-weight: 650; overflow-wrap: anywhere; }
.domain, .via, .id { display: block; color: var(--muted); font-size: 0.82rem; font-weight: 400; overflow-wrap: anywhere; }
.grants { list-style: none; margin: 0; padding: 0; }
.grant { padding: 4px 0 6px; }
.grant + .grant { border-top: 1px dashed var(--line); }
.role { font-weight: 600; }
.scope { display: block; font-family: var(--mono); font-size: 0.8rem; overflow-wrap: anywhere; }
.scope .name { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-weight: 600; font-size: 0.86rem;
  margin-right: 4px; }
.scope .org { color: var(--muted); }
.grant.privileged .role { color: var(--priv); }
.badge { display: inline-block; margin-left: 6px; padding: 0 7px; border-radius: 999px; font-size: 0.72rem; font-weight: 700;
  letter-spacing: 0.03em; text-transform: uppercase; vertical-align: 1px; color: var(--priv); background: var(--priv-soft);
  border: 1px solid var(--priv-line); }
.nothing { color: var(--muted); font-style: italic; }
.empty { color: var(--muted); }
.status-ok { color: var(--ok); font-weight: 600; }
.status-failed { color: var(--priv); font-weight: 700; }
pre.filter-text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-family: var(--mono); font-size: 0.82rem; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85rem; }
@media (max-width: 900px) {
  .page { padding: 16px; }
  table.review thead { display: none; }
  table.review tr, table.review th[scope=row], table.review td { display: block; width: auto; }
  table.review td::before { content: attr(data-platform); display: block; font-size: 0.75rem; color: var(--muted);
    text-transform: uppercase; letter-spacing: 0.04em; }
}
@media print {
  body { font-size: 10pt; background: #fff; color: #000; }
  .page { max-width: none; padding: 0; }
  .filter { display: none !important; }
  tr[hidden] { display: table-row !important; }
  table[hidden] { display: table !important; }
  .no-match { display: none !important; }
  thead { display: table-header-group; }
  thead th { position: static; }
  tr { break-inside: avoid; }
  h2 { break-after: avoid; }
  .stat, .badge, .notice { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
'''

# The filter box only; the page reads the same without it (the box stays hidden).
_SCRIPT = '''
(function () {
  'use strict';
  var input = document.getElementById('filter');
  var count = document.getElementById('filter-count');
  var tables = Array.prototype.slice.call(document.querySelectorAll('table.filterable'));
  function apply() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    tables.forEach(function (table) {
      var rows = table.tBodies[0].rows;
      var shown = 0;
      for (var i = 0; i < rows.length; i += 1) {
        var text = rows[i].textContent.toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        rows[i].hidden = !match;
        if (match) { shown += 1; }
      }
      table.hidden = shown === 0;
      table.nextElementSibling.hidden = shown !== 0;
      if (table.id === 'review') {
        count.textContent = words.length ? shown + ' of ' + rows.length + ' groups match' : '';
      }
    });
  }
  input.addEventListener('input', apply);
  document.getElementById('filter-bar').hidden = false;
  apply();
})();
'''


def _csp_hash(source):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(source.encode('utf-8')).digest()).decode('ascii')


# Nothing but the page's own style and script may run or load: an escaping mistake could not run code.
_CSP = "default-src 'none'; style-src %s; script-src %s; base-uri 'none'; form-action 'none'" % (_csp_hash(_STYLE), _csp_hash(_SCRIPT))


def _h(value):
    return html.escape(_text(value), quote=True)


def _breakable(text):
    """Escaped text with a line-break opportunity after each slash (long CRNs)."""
    return '/<wbr>'.join(_h(part) for part in _text(text).split('/'))


# A Confluent CRN pattern: the organization part, the same in every binding of a target, is shown muted.
_CRN_ORGANIZATION = re.compile(r'^(crn://[^/]+/organization=[^/]+)(/.*)?$')


def _html_scope(grant, projects):
    scope, name = _scope_label(grant, projects)
    if name:
        return '<span class="scope"><span class="name">%s</span> %s</span>' % (_h(name), _breakable(scope))
    match = _CRN_ORGANIZATION.match(scope) if grant.get('provider') == 'confluent' else None
    if match and match.group(2):
        return '<span class="scope"><span class="org">%s</span>%s</span>' % (_breakable(match.group(1)), _breakable(match.group(2)))
    return '<span class="scope">%s</span>' % _breakable(scope)


def _html_grant(grant, projects, via=True):
    data = ''.join(' data-%s="%s"' % (name, _h(grant.get(name))) for name in ('host', 'provider', 'mapping', 'role', 'scope'))
    where = '<span class="via">%s &middot; mapping %s</span>' % (_h(grant.get('host')), _h(grant.get('mapping'))) if via else ''
    if not grant.get('role'):
        return '<li class="grant"%s><span class="nothing">grants nothing</span>%s</li>' % (data, where)
    privileged = is_privileged(grant)
    return '<li class="grant%s"%s><span class="role">%s</span>%s%s%s</li>' % (
        ' privileged' if privileged else '', data, _h(grant['role']),
        '<span class="badge">&#9888; privileged</span>' if privileged else '', _html_scope(grant, projects), where)


def _html_grants(grants, projects, via=True):
    return '<ul class="grants">%s</ul>' % ''.join(_html_grant(grant, projects, via) for grant in grants)


def _html_domains(group, grants):
    """The domains of the group's Aria mappings (their key is display_name@domain)."""
    prefix = _text(group) + '@'
    domains = sorted(set(g['mapping'][len(prefix):] for g in grants if g.get('provider') == 'aria'
                         and _text(g.get('mapping')).startswith(prefix)))
    return '<span class="domain">Aria domain %s</span>' % _h(', '.join(domains)) if domains else ''


def _html_group_row(group, projects):
    grants = group.get('grants') or []
    privileged = [grant for grant in grants if grant.get('role') and is_privileged(grant)]
    cells = []
    for provider, title in PLATFORMS.items():
        mine = [grant for grant in grants if grant.get('provider') == provider]
        if mine:
            cells.append('<td data-platform="%s">%s</td>' % (_h(title), _html_grants(mine, projects)))
        else:
            cells.append('<td data-platform="%s"><span class="empty" title="No access on %s">&mdash;</span></td>' % (_h(title), _h(title)))
    return '<tr class="%s"><th scope="row"><span class="group">%s</span>%s%s</th>%s</tr>' % (
        'privileged' if privileged else '', _h(group.get('group')),
        '<span class="badge">&#9888; %d privileged</span>' % len(privileged) if privileged else '',
        _html_domains(group.get('group'), grants), ''.join(cells))


def _html_stats(summary):
    stats = [('Groups', summary['groups'], ''), ('Grants', summary['grants'], ''),
             ('Privileged grants', summary['privileged_grants'], ' priv' if summary['privileged_grants'] else ''),
             ('Mappings granting nothing', summary['mappings_granting_nothing'], ''),
             ('Unattributed mappings', summary['unattributed'], ' warn' if summary['unattributed'] else ''),
             ('Targets read', summary['targets'] - summary['failed_targets'], ''),
             ('Targets not read', summary['failed_targets'], ' warn' if summary['failed_targets'] else '')]
    return '<dl class="stats">%s</dl>' % ''.join('<div class="stat%s"><dt>%s</dt><dd>%d</dd></div>' % (extra, label, value)
                                                 for label, value, extra in stats)


def _html_table(heads, rows, filterable=True, classes='', ident=None):
    """A table of already escaped cells; the filter box hides the rows of a filterable one."""
    table = '<table class="%s"%s><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (
        ' '.join(c for c in (classes, 'filterable' if filterable else '') if c), ' id="%s"' % ident if ident else '',
        ''.join('<th scope="col">%s</th>' % head for head in heads),
        ''.join('<tr>%s</tr>' % ''.join('<td>%s</td>' % cell for cell in row) if isinstance(row, (list, tuple)) else row for row in rows))
    return table + '<p class="no-match" hidden>No row matches the filter.</p>' if filterable else table


def access_review_html(report, projects=None):
    """The report as one self-contained HTML page: no external resource, readable offline and without scripts."""
    report = plain(report or {})
    projects = _project_names(projects)
    summary = access_review_summary(report)
    targets = report.get('targets') or []
    failed = [t for t in targets if t.get('status') == FAILED]
    generated = _text(report.get('generated_at'))
    body = ['<header><h1>SSO access review</h1><p class="lead">Who gets which access where, by identity-provider group, from the live '
            'mappings of %d target%s. Generated <time datetime="%s">%s</time>. Nothing was changed.</p>%s</header>'
            % (summary['targets'], '' if summary['targets'] == 1 else 's', _h(generated),
               _h(generated.replace('T', ' ').replace('Z', ' UTC')), _html_stats(summary))]

    if failed:
        body.append('<section class="notice" id="failed-targets"><h2>Targets that could not be read</h2>'
                    '<p>The review is incomplete: these targets are missing from it.</p>%s</section>' % _html_table(
                        ('Target', 'Platform', 'Error'),
                        [(_h(t.get('host')), _h(_platform_name(t.get('provider'))), '<pre class="filter-text">%s</pre>' % _h(t.get('error')))
                         for t in failed], filterable=False))

    body.append('<section id="groups"><h2>Access by identity-provider group</h2>'
                '<p class="legend"><span class="badge">&#9888; privileged</span> marks roles that administer a whole organization, '
                'environment, project or appliance: %s.</p>' % _h(_privileged_legend()))
    body.append('<div class="filter" id="filter-bar" hidden><label for="filter">Filter</label>'
                '<input id="filter" type="search" placeholder="group, role, target, scope&hellip;" autocomplete="off" spellcheck="false">'
                '<span class="count" id="filter-count" aria-live="polite"></span></div>')
    if report.get('groups'):
        body.append(_html_table(('Identity-provider group',) + tuple(_h(title) for title in PLATFORMS.values()),
                                [_html_group_row(group, projects) for group in report['groups']], classes='review', ident='review'))
    else:
        body.append('<p class="empty">No mapping of a target that was read names an identity-provider group.</p>')
    body.append('</section>')

    nothing = sorted(set((_text(group), _text(grant.get('provider')), _text(grant.get('host')), _text(grant.get('mapping')))
                         for group, grant in _rows(report) if not grant.get('role')))
    if nothing:
        body.append('<section id="granting-nothing"><h2>Mappings that grant nothing</h2>'
                    '<p class="legend">They give their group no role: left over, or a grant is missing.</p>%s</section>' % _html_table(
                        ('Group', 'Platform', 'Target', 'Mapping'),
                        [(_h(group) if group else '<span class="empty">(unattributed)</span>', _h(_platform_name(provider)), _h(host), _h(mapping))
                         for group, provider, host, mapping in nothing]))

    if report.get('unattributed'):
        body.append('<section id="unattributed"><h2>Confluent filters that could not be attributed</h2>'
                    '<p class="legend">Only a filter of one or more <code>"&lt;name&gt;" in &lt;claims path&gt;</code> joined by '
                    '<code>||</code> names its groups; these filters test something else, so their groups are not guessed.</p>%s</section>'
                    % _html_table(('Target', 'Mapping', 'Filter', 'Grants'), [
                        (_h(item.get('host')), _h(item.get('mapping')),
                         '<pre class="filter-text">%s</pre>' % _h(item.get('filter')) if item.get('filter') else '<span class="empty">(empty)</span>',
                         _html_grants(item.get('grants') or [], projects, via=False)) for item in report['unattributed']]))

    body.append('<section id="targets"><h2>Targets</h2>%s</section>' % _html_table(('Target', 'Platform', 'Status'), [
        (_h(t.get('host')), _h(_platform_name(t.get('provider'))),
         '<span class="status-ok">read</span>' if t.get('status') == OK else '<span class="status-failed">could not be read</span>')
        for t in targets], filterable=False))
    body.append('<footer>Written by the <code>sso.mappings.review</code> playbook from what the APIs returned; '
                'the same rows are in access-review.json, access-review.csv and access-review.md.</footer>')

    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta http-equiv="Content-Security-Policy" content="%s">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="referrer" content="no-referrer">\n'
            '<title>SSO access review %s</title>\n<style>%s</style>\n</head>\n<body>\n<div class="page">\n%s\n</div>\n'
            '<script>%s</script>\n</body>\n</html>\n' % (_h(_CSP), _h(generated), _STYLE, '\n'.join(body), _SCRIPT))


class FilterModule:
    """sso.mappings access review filters."""

    def filters(self):
        return {
            'access_review': access_review,
            'access_review_summary': access_review_summary,
            'access_review_csv': access_review_csv,
            'access_review_markdown': access_review_markdown,
            'access_review_html': access_review_html,
        }
