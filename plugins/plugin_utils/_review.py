# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The access review: every target's live mappings joined by identity-provider group, its counts, its CSV,
and the data of its pages (the templates ``access-review.html.j2`` and ``access-review.md.j2`` show it)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

from ansible.errors import AnsibleFilterError

from ansible_collections.sso.mappings.plugins.plugin_utils._cel_groups import groups_of_filter
from ansible_collections.sso.mappings.plugins.plugin_utils._groups import declared
from ansible_collections.sso.mappings.plugins.plugin_utils._pages import Markup, csp_hash, shipped, text
from ansible_collections.sso.mappings.plugins.plugin_utils._plain import plain

# The platforms in the order the pages show them side by side, and their short names.
PLATFORMS = {'confluent': 'Confluent Cloud', 'atlas': 'MongoDB Atlas', 'aria': 'Aria Suite Lifecycle'}
SHORT_NAMES = {'confluent': 'Confluent', 'atlas': 'Atlas', 'aria': 'Aria'}

# Roles that administer a whole organization, environment, project or appliance, including who else
# gets access there. Confluent: OrganizationAdmin and EnvironmentAdmin grant roles in their scope,
# AccountAdmin manages every user and service account of the organization; CloudClusterAdmin and
# ResourceOwner stay within one cluster or resource and are not marked. The policy's built-in
# ``admin`` tier is this list.
PRIVILEGED_ROLES = {
    'confluent': ('AccountAdmin', 'EnvironmentAdmin', 'OrganizationAdmin'),
    'atlas': ('GROUP_OWNER', 'ORG_OWNER'),
    'aria': ('LCM Admin', 'LCM Cloud Admin'),
}

CSV_HEADER = ('group', 'host', 'provider', 'mapping', 'role', 'scope')
GRANT_FIELDS = CSV_HEADER[1:]
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
# What an sso_groups entry adds to its group in the review.
GROUP_DETAILS = ('owner', 'expires')

OK = 'ok'
FAILED = 'failed'


def _platform(provider):
    if provider not in PLATFORMS:
        raise AnsibleFilterError('sso.mappings: unknown provider %r; expected one of %s' % (provider, ', '.join(PLATFORMS)))
    return provider


def platform_name(provider):
    return PLATFORMS.get(provider, provider or 'unknown')


def is_privileged(grant):
    return grant.get('role') in PRIVILEGED_ROLES.get(grant.get('provider'), ())


def now():
    return datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


# --- the review ----------------------------------------------------------------------------------
# Each reader gives a live mapping's key, the groups it is for (None: not known), its (role, scope) pairs
# and what a grant carries besides the review's fields.

def _confluent(mapping):
    bindings = [(text(b.get('role_name')), text(b.get('crn_pattern'))) for b in mapping.get('role_bindings') or []]
    return text(mapping.get('display_name') or mapping.get('id')), groups_of_filter(mapping.get('filter')), bindings, {}


def _atlas(mapping):
    name = text(mapping.get('external_group_name'))
    assignments = []
    for assignment in mapping.get('role_assignments') or []:
        if assignment.get('project_id'):
            scope = 'project:%s' % assignment['project_id']
        else:
            scope = 'org:%s' % text(assignment.get('org_id'))
        assignments.append((text(assignment.get('role')), scope))
    return name, (name,) if name else None, assignments, {}


def _aria(mapping):
    name = text(mapping.get('display_name'))
    roles = [(text(role), 'appliance') for role in mapping.get('mapped_roles') or []]
    # The policy's match_everyone reads the group type (ALL_USERS: every user of the appliance's directory).
    extra = {'group_type': text(mapping['group_type'])} if mapping.get('group_type') else {}
    return '%s@%s' % (name, text(mapping.get('domain'))), (name,) if name else None, roles, extra


READERS = {'confluent': _confluent, 'atlas': _atlas, 'aria': _aria}
_PLATFORM_ORDER = dict((name, index) for index, name in enumerate(PLATFORMS))


def _grant_order(grant):
    return (_PLATFORM_ORDER.get(grant['provider'], len(PLATFORMS)), grant['host'], grant['mapping'], grant['role'], grant['scope'])


def _group_details(sso_groups, group):
    """The owner and expiry date of a group declared in sso_groups, as text."""
    entry = sso_groups.get(group) if isinstance(sso_groups, dict) else None
    if not isinstance(entry, dict):
        return {}
    return dict((key, text(entry[key])) for key in GROUP_DETAILS if entry.get(key) not in (None, ''))


def access_review(entries, generated_at=None, sso_groups=None):
    """The access review from ``{host: entry}``: an entry is ``{provider, status: ok, mappings, projects?}``
    (an _info module's ``mappings``) or a failed one ``{provider, status: failed, error}``. A group declared in
    ``sso_groups`` carries its ``owner`` and ``expires``."""
    entries = plain(entries or {})
    sso_groups = declared(sso_groups)
    if not isinstance(entries, dict):
        raise AnsibleFilterError('sso.mappings.access_review: expected a dictionary of host name to entry')
    targets, by_group, unattributed = [], {}, []
    for host in sorted(entries):
        entry = entries[host] or {}
        if entry.get('status') == FAILED or entry.get('failed'):
            targets.append({'host': host, 'provider': entry.get('provider'), 'status': FAILED,
                            'error': text(entry.get('error') or entry.get('msg') or 'failed without a message')})
            continue
        provider = _platform(entry.get('provider'))
        targets.append({'host': host, 'provider': provider, 'status': OK})
        for mapping in entry.get('mappings') or []:
            if not isinstance(mapping, dict):
                raise AnsibleFilterError('sso.mappings.access_review: %s: every mapping must be a dictionary, got %r' % (host, mapping))
            key, groups, pairs, extra = READERS[provider](mapping)
            # A mapping that grants nothing still appears, so that a reviewer sees it.
            grants = [dict({'host': host, 'provider': provider, 'mapping': key, 'role': role, 'scope': scope}, **extra)
                      for role, scope in sorted(set(pairs) or [('', '')])]
            if groups is None:
                unattributed.append({'host': host, 'provider': provider, 'mapping': key,
                                     'filter': text(mapping.get('filter')), 'grants': grants})
                continue
            for group in groups:
                by_group.setdefault(group, []).extend(dict(grant) for grant in grants)
    unattributed.sort(key=lambda item: (item['host'], item['mapping'], item['filter']))
    return {
        'generated_at': generated_at or now(),
        'targets': targets,
        'groups': [dict({'group': group, 'grants': sorted(by_group[group], key=_grant_order)}, **_group_details(sso_groups, group))
                   for group in sorted(by_group)],
        'unattributed': unattributed,
    }


def rows(report):
    """Every (group, grant) of the report, attributed ones first; an unattributed grant's group is ''."""
    for group in report.get('groups') or []:
        for grant in group.get('grants') or []:
            yield text(group.get('group')), grant
    for item in report.get('unattributed') or []:
        for grant in item.get('grants') or []:
            yield '', grant


def access_review_summary(report):
    """Counts of the report, for set_stats and the pages' headers."""
    report = plain(report or {})
    found = list(rows(report))
    granting = [(group, grant) for group, grant in found if grant.get('role')]
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
                                             for group, grant in found if not grant.get('role'))),
        'unattributed': len(report.get('unattributed') or []),
    }


# --- CSV -----------------------------------------------------------------------------------------

def _sheet_cell(value):
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe."""
    value = text(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def access_review_csv(report):
    """One row per grant: ``group,host,provider,mapping,role,scope``; unattributed grants with an empty group."""
    report = plain(report or {})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(CSV_HEADER)
    for group, grant in rows(report):
        writer.writerow([_sheet_cell(value) for value in (group,) + tuple(grant.get(name) for name in GRANT_FIELDS)])
    return out.getvalue()


# --- the pages' data -----------------------------------------------------------------------------

# A Confluent CRN pattern: the organization part, the same in every binding of a target, is shown muted.
_CRN_ORGANIZATION = re.compile(r'^(crn://[^/]+/organization=[^/]+)(/.*)?$')
# Findings about one grant, and about one mapping; the other kinds are about a group or a target.
GRANT_KINDS = ('allowed_groups', 'forbidden')
MAPPING_KINDS = ('match_everyone',)


def _project_names(projects):
    return dict((str(k), text(v)) for k, v in (plain(projects) or {}).items()) if isinstance(projects, dict) else {}


def _grant_key(group, grant):
    return (text(group),) + tuple(text(grant.get(name)) for name in GRANT_FIELDS)


def _grant_view(group, grant, projects, findings):
    """A grant as the pages show it: the scope split for reading, whether it is privileged, its findings."""
    scope = text(grant.get('scope'))
    view = dict((name, text(grant.get(name))) for name in GRANT_FIELDS)
    view.update({'platform': platform_name(grant.get('provider')), 'privileged': bool(grant.get('role')) and is_privileged(grant),
                 'scope_name': '', 'scope_organization': '', 'scope_rest': scope,
                 'findings': findings.get(('grant',) + _grant_key(group, grant), [])})
    if grant.get('provider') == 'atlas' and scope.startswith('project:'):
        view['scope_name'] = projects.get(scope[len('project:'):], '')
    match = _CRN_ORGANIZATION.match(scope) if grant.get('provider') == 'confluent' else None
    if match and match.group(2):
        view['scope_organization'], view['scope_rest'] = match.group(1), match.group(2)
    return view


def _findings_by_place(policy):
    """The policy report's findings by where a page shows them: beside a grant, a mapping, a group, or a target."""
    places = {}
    for finding in (policy or {}).get('findings') or []:
        kind = finding.get('kind')
        if kind in GRANT_KINDS:
            place = ('grant', text(finding.get('group'))) + tuple(text(finding.get(name)) for name in GRANT_FIELDS)
        elif kind in MAPPING_KINDS:
            place = ('mapping', text(finding.get('group')), text(finding.get('host')), text(finding.get('mapping')))
        elif finding.get('group'):
            place = ('group', text(finding.get('group')))
        else:
            place = ('target', text(finding.get('host')))
        places.setdefault(place, []).append(finding)
    return places


def _privileged_legend():
    return '; '.join('%s %s' % (SHORT_NAMES[p], ', '.join(PRIVILEGED_ROLES[p])) for p in PLATFORMS)


def _mapping_findings(group, grants, findings):
    seen, found = set(), []
    for grant in grants:
        place = ('mapping', text(group), text(grant.get('host')), text(grant.get('mapping')))
        if place not in seen:
            seen.add(place)
            found.extend(findings.get(place, []))
    return found


def page(report, projects=None, policy=None):
    """The data the access review's templates show: everything computed, nothing formatted for one format."""
    report = plain(report or {})
    policy = plain(policy) if policy else None
    projects = _project_names(projects)
    findings = _findings_by_place(policy)
    summary = access_review_summary(report)
    targets = [dict(t, platform=platform_name(t.get('provider')), findings=findings.get(('target', text(t.get('host'))), []))
               for t in report.get('targets') or []]
    groups = []
    for group in report.get('groups') or []:
        name = text(group.get('group'))
        grants = [_grant_view(name, grant, projects, findings) for grant in group.get('grants') or []]
        prefix = name + '@'
        groups.append({
            'group': name,
            'owner': text(group.get('owner')),
            'expires': text(group.get('expires')),
            'grants': grants,
            'cells': [{'provider': provider, 'platform': title, 'grants': [g for g in grants if g['provider'] == provider]}
                      for provider, title in PLATFORMS.items()],
            'privileged': sum(1 for g in grants if g['privileged']),
            # The domains of the group's Aria mappings (their key is display_name@domain).
            'domains': ', '.join(sorted(set(g['mapping'][len(prefix):] for g in grants
                                            if g['provider'] == 'aria' and g['mapping'].startswith(prefix)))),
            'findings': findings.get(('group', name), []) + _mapping_findings(name, group.get('grants') or [], findings),
        })
    unattributed = [{'host': text(item.get('host')), 'provider': text(item.get('provider')), 'mapping': text(item.get('mapping')),
                     'filter': text(item.get('filter')),
                     'grants': [_grant_view('', grant, projects, findings) for grant in item.get('grants') or []],
                     'findings': _mapping_findings('', item.get('grants') or [], findings)}
                    for item in report.get('unattributed') or []]
    nothing = sorted(set((group, text(grant.get('provider')), text(grant.get('host')), text(grant.get('mapping')))
                         for group, grant in rows(report) if not grant.get('role')))
    generated = text(report.get('generated_at'))
    return {
        'generated_at': generated,
        'generated_label': generated.replace('T', ' ').replace('Z', ' UTC'),
        'summary': summary,
        'platforms': [{'provider': provider, 'platform': title} for provider, title in PLATFORMS.items()],
        'privileged_legend': _privileged_legend(),
        'targets': targets,
        'failed_targets': [t for t in targets if t.get('status') == FAILED],
        'groups': groups,
        'owners_shown': any(g['owner'] or g['expires'] for g in groups),
        'granting_nothing': [{'group': group, 'provider': provider, 'platform': platform_name(provider), 'host': host, 'mapping': mapping}
                             for group, provider, host, mapping in nothing],
        'unattributed': unattributed,
        'policy': policy_view(policy),
    }


def policy_view(policy):
    """A policy report as the pages show it, or None."""
    if not policy:
        return None
    return dict(policy, targets=[dict(t, platform=platform_name(t.get('provider'))) for t in policy.get('targets') or []],
                unread_targets=[dict(t, platform=platform_name(t.get('provider'))) for t in policy.get('targets') or []
                                if t.get('status') == FAILED])


def html_page(report, projects=None, policy=None):
    """``page`` plus the page's own style and script and the Content-Security-Policy that lets only them run."""
    context = page(report, projects, policy)
    style, script = shipped('access-review.css'), shipped('access-review.js')
    context.update({
        'style': Markup(style), 'script': Markup(script),
        # Nothing but the page's own style and script may run or load: an escaping mistake could not run code.
        'content_security_policy': "default-src 'none'; style-src %s; script-src %s; base-uri 'none'; form-action 'none'"
                                   % (csp_hash(style), csp_hash(script)),
    })
    return context
