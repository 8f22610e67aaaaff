# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The access policy (``sso_policy``): its check, and its evaluation over an access review.

``policy_problems`` checks a policy's shape with the collection's one argument-shape checker
(``_arguments.problems`` against ``POLICY_SPEC``), then what a spec cannot say (rule ids, the keys each
kind needs, regular expressions, tiers, waivers and their dates). ``evaluate`` is one pure function:
an access review report (the shape of ``access-review.json``, live or planned), the policy, the
``sso_groups`` catalogue and the day give the policy report (the shape of ``policy-report.json``).
docs/policy.md states each rule kind's semantics; this file follows it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sso.mappings.plugins.module_utils import _arguments
from ansible_collections.sso.mappings.plugins.plugin_utils._cel_groups import everyone_reason
from ansible_collections.sso.mappings.plugins.plugin_utils._groups import declared
from ansible_collections.sso.mappings.plugins.plugin_utils._plain import plain
from ansible_collections.sso.mappings.plugins.plugin_utils._review import FAILED, GRANT_FIELDS, PLATFORMS, PRIVILEGED_ROLES, now

PROVIDERS = tuple(PLATFORMS)
KINDS = ('allowed_groups', 'forbidden', 'match_everyone', 'max_platforms', 'min_groups', 'max_groups', 'exclusive', 'owner_required')
SEVERITIES = ('critical', 'high', 'medium', 'low', 'info')
DEFAULT_SEVERITY = 'high'
# Built-in tiers; a tier of the policy replaces one for the providers it lists.
BUILT_IN_TIERS = {'admin': dict((provider, list(roles)) for provider, roles in PRIVILEGED_ROLES.items())}
# The keys each kind needs, and the ones it may take besides the common ones.
NEEDS = {'allowed_groups': ('groups',), 'max_platforms': ('max',), 'min_groups': ('min',), 'max_groups': ('max',),
         'exclusive': ('other',)}
COMMON_KEYS = ('id', 'description', 'kind', 'grants', 'severity', 'enforce')
RULE_ID = re.compile(r'[a-z0-9-]+')
WAIVER_DAYS = 366
EVERYONE_GROUP_TYPE = 'ALL_USERS'
VIOLATION, WAIVED = 'violation', 'waived'
EXPIRED, UNUSED = 'expired', 'unused'
# At most this many grants or groups are named in one finding's message.
_NAMED = 10

_STRINGS = {'type': 'list', 'elements': 'str'}
SELECTOR_SPEC = {
    'provider': {'type': 'list', 'elements': 'str', 'choices': list(PROVIDERS)},
    'role': _STRINGS,
    'tier': _STRINGS,
    'host': _STRINGS,
    'scope': {'type': 'str'},
}
RULE_SPEC = {
    'id': {'type': 'str', 'required': True},
    'description': {'type': 'str'},
    'kind': {'type': 'str', 'required': True, 'choices': list(KINDS)},
    'grants': {'type': 'dict', 'options': SELECTOR_SPEC},
    'other': {'type': 'dict', 'options': SELECTOR_SPEC},
    'groups': _STRINGS,
    'max': {'type': 'int'},
    'min': {'type': 'int'},
    'severity': {'type': 'str', 'choices': list(SEVERITIES)},
    'enforce': {'type': 'bool'},
}
WAIVER_SPEC = {
    'rule': {'type': 'str', 'required': True},
    'group': {'type': 'str', 'required': True},
    'host': {'type': 'str'},
    'reason': {'type': 'str', 'required': True},
    'expires': {'type': 'str', 'required': True},
}
POLICY_SPEC = {
    'tiers': {'type': 'dict'},
    'rules': {'type': 'list', 'elements': 'dict', 'options': RULE_SPEC, 'required': True},
    'waivers': {'type': 'list', 'elements': 'dict', 'options': WAIVER_SPEC},
}
TIER_SPEC = dict((provider, _STRINGS) for provider in PROVIDERS)
WHERE = 'sso_policy'


# --- values ----------------------------------------------------------------------------------------

def _values(value):
    """A selector's value, a list or a single value, as a list (a single string is one value, never split)."""
    if value is None:
        return None
    return [str(v) for v in value] if is_sequence(value) else [str(value)]


def _day(value):
    """A date from a YAML date or a YYYY-MM-DD string; None when it is neither."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value), '%Y-%m-%d').date()
    except ValueError:
        return None


def today_utc(today=None):
    """The day a policy is evaluated on: ``today`` (a date or YYYY-MM-DD) or today in UTC."""
    if today is None:
        return datetime.now(timezone.utc).date()
    day = _day(today)
    if day is None:
        raise AnsibleFilterError('sso.mappings: today must be a date (YYYY-MM-DD), got %r' % (today,))
    return day


def _rule_label(index, rule):
    return '%s.rules[%d]%s' % (WHERE, index, ' (%s)' % rule['id'] if isinstance(rule.get('id'), str) and rule.get('id') else '')


def _waiver_label(index, waiver):
    named = ', '.join('%s %s' % (k, waiver[k]) for k in ('rule', 'group', 'host') if isinstance(waiver.get(k), str) and waiver.get(k))
    return '%s.waivers[%d]%s' % (WHERE, index, ' (%s)' % named if named else '')


# --- the check -------------------------------------------------------------------------------------

def policy_problems(policy, today=None):
    """Every problem of a policy, each naming the rule, tier or waiver and the key; [] for a good policy.
    ``today`` (default: today in UTC) bounds a waiver's expiry date."""
    policy = _raw(policy)
    if not isinstance(policy, dict):
        return ['%s must be a dictionary with rules (and optionally tiers and waivers), got %s' % (WHERE, _arguments.type_name(policy))]
    problems = _waivers_named(policy, _arguments.problems(POLICY_SPEC, policy, WHERE))
    for name, tier in sorted((policy.get('tiers') or {}).items()) if isinstance(policy.get('tiers'), dict) else ():
        if not isinstance(tier, dict):
            problems.append('%s.tiers.%s must be a dictionary of provider to role names, got %s' % (WHERE, name, _arguments.type_name(tier)))
        else:
            problems.extend(_arguments.problems(TIER_SPEC, tier, '%s.tiers.%s' % (WHERE, name)))
    # What a shape cannot say, of each rule and waiver whose shape is right.
    tiers = set(BUILT_IN_TIERS) | set(policy.get('tiers') or {} if isinstance(policy.get('tiers'), dict) else ())
    rules = policy.get('rules') if isinstance(policy.get('rules'), list) else []
    waivers = policy.get('waivers') if isinstance(policy.get('waivers'), list) else []
    ids = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or rule.get('id') is None:
            continue
        rule_id = str(rule['id'])
        if rule_id in ids:
            problems.append('%s: id %r is already the id of %s.rules[%d]' % (_rule_label(index, rule), rule_id, WHERE, ids[rule_id]))
        ids.setdefault(rule_id, index)
        if _well_shaped(problems, '%s.rules[%d]' % (WHERE, index)):
            problems.extend(_rule_problems(_rule_label(index, rule), rule, tiers))
    day = today_utc(today)
    for index, waiver in enumerate(waivers):
        if _well_shaped(problems, '%s.waivers[%d]' % (WHERE, index)):
            problems.extend(_waiver_problems(_waiver_label(index, waiver), waiver, ids, day))
    return problems


def _well_shaped(problems, prefix):
    return not any(p.startswith(prefix) and p[len(prefix):][:1] in (':', '.', ' ') for p in problems)


def _waiver_problems(label, waiver, ids, day):
    problems = []
    if str(waiver['rule']) not in ids:
        problems.append('%s: rule %r is not the id of any rule (ids: %s)' % (label, waiver['rule'], ', '.join(ids) or 'none'))
    if not str(waiver['reason']).strip():
        problems.append('%s: reason must say why the finding is accepted' % label)
    expires = _day(waiver['expires'])
    if expires is None:
        problems.append('%s: expires must be a date (YYYY-MM-DD), got %r' % (label, waiver['expires']))
    elif expires > day + timedelta(days=WAIVER_DAYS):
        problems.append('%s: expires %s is more than %d days after %s; a waiver is reviewed at least once a year'
                        % (label, expires.isoformat(), WAIVER_DAYS, day.isoformat()))
    return problems


def _waivers_named(policy, problems):
    """The shape checker names a waiver by its index; say which rule and group it is for, too."""
    waivers = policy.get('waivers')
    for index, waiver in enumerate(waivers if isinstance(waivers, list) else []):
        plain_label, label = '%s.waivers[%d]' % (WHERE, index), _waiver_label(index, waiver) if isinstance(waiver, dict) else None
        if label and label != plain_label:
            problems = [label + p[len(plain_label):] if p.startswith(plain_label) and p[len(plain_label):][:1] in (':', '.', ' ') else p
                        for p in problems]
    return problems


def _rule_problems(label, rule, tiers):
    problems = []
    if not RULE_ID.fullmatch(str(rule['id'])):
        problems.append('%s: id must be lower-case letters, digits and hyphens ([a-z0-9-]+), got %r' % (label, rule['id']))
    kind = rule['kind']
    wanted = NEEDS.get(kind, ())
    for key in wanted:
        if rule.get(key) is None:
            problems.append('%s: a rule of kind %s needs %s' % (label, kind, key))
    for key in sorted(k for k in rule if k not in COMMON_KEYS and k not in wanted and rule[k] is not None):
        problems.append('%s: %s does not apply to a rule of kind %s (it takes %s)' % (
            label, key, kind, ', '.join(COMMON_KEYS + wanted)))
    if kind == 'allowed_groups' and rule.get('groups') is not None and not _values(rule['groups']):
        problems.append('%s: groups must name at least one pattern' % label)
    for index, pattern in enumerate(_values(rule.get('groups')) or []):
        problems.extend('%s: groups[%d] %s' % (label, index, p) for p in _regex_problems(pattern))
    for key in ('max', 'min'):
        if rule.get(key) is not None and int(rule[key]) < (1 if key == 'min' else 0):
            problems.append('%s: %s must be at least %d, got %s' % (label, key, 1 if key == 'min' else 0, rule[key]))
    for key in ('grants', 'other'):
        selector = rule.get(key) or {}
        if selector.get('scope') is not None:
            problems.extend('%s: %s.scope %s' % (label, key, p) for p in _regex_problems(selector['scope']))
        for tier in _values(selector.get('tier')) or []:
            if tier not in tiers:
                problems.append('%s: %s.tier %r is not a tier (tiers: %s)' % (label, key, tier, ', '.join(sorted(tiers))))
    return problems


def _regex_problems(pattern):
    try:
        re.compile(str(pattern))
    except re.error as error:
        return ['is not a valid regular expression (%s): %r' % (error, pattern)]
    return []


def _raw(policy):
    """The policy as plain data; dates stay dates (they are compared, not written)."""
    if isinstance(policy, (date, datetime)):
        return policy
    if isinstance(policy, dict):
        return dict((str(k), _raw(v)) for k, v in policy.items())
    if is_sequence(policy):
        return [_raw(v) for v in policy]
    return plain(policy)


# --- the rules, compiled ---------------------------------------------------------------------------

def _tiers(policy):
    """Tier name -> {provider: set of roles}: the built-in tiers, each replaced per provider by the policy's."""
    tiers = dict((name, dict((p, set(roles)) for p, roles in providers.items())) for name, providers in BUILT_IN_TIERS.items())
    for name, providers in (policy.get('tiers') or {}).items():
        tier = tiers.setdefault(name, {})
        for provider, roles in providers.items():
            if roles is not None:
                tier[provider] = set(_values(roles))
    return tiers


class Selector:
    """Which grants a rule is about: every key given must match (``provider``, ``role``, ``tier`` and ``host``
    each a list or a single value; ``scope`` a regular expression that the whole scope must match)."""

    def __init__(self, selector, tiers):
        selector = selector or {}
        self.providers = set(_values(selector.get('provider')) or PROVIDERS)
        self.roles = set(_values(selector.get('role'))) if selector.get('role') is not None else None
        self.pairs = None
        if selector.get('tier') is not None:
            self.pairs = set((provider, role) for name in _values(selector['tier'])
                             for provider, roles in tiers[name].items() for role in roles)
            # A tier admits only the providers it has roles for.
            self.providers &= set(provider for provider, role in self.pairs)
        self.hosts = set(_values(selector.get('host'))) if selector.get('host') is not None else None
        self.scope = re.compile(str(selector['scope'])) if selector.get('scope') is not None else None

    def admits_target(self, target):
        return target['provider'] in self.providers and (self.hosts is None or target['host'] in self.hosts)

    def __call__(self, grant):
        return (grant['provider'] in self.providers
                and (self.roles is None or grant['role'] in self.roles)
                and (self.pairs is None or (grant['provider'], grant['role']) in self.pairs)
                and (self.hosts is None or grant['host'] in self.hosts)
                and (self.scope is None or self.scope.fullmatch(grant['scope']) is not None))


def _rule(rule, tiers):
    return {
        'id': str(rule['id']), 'kind': rule['kind'], 'description': str(rule.get('description') or ''),
        'severity': rule.get('severity') or DEFAULT_SEVERITY,
        'enforce': True if rule.get('enforce') is None else boolean(rule['enforce'], strict=False),
        'grants': Selector(rule.get('grants'), tiers),
        'other': Selector(rule.get('other'), tiers) if rule.get('other') is not None else None,
        'groups': [re.compile(str(p)) for p in _values(rule.get('groups')) or []],
        'max': int(rule['max']) if rule.get('max') is not None else None,
        'min': int(rule['min']) if rule.get('min') is not None else None,
    }


# --- the grants ------------------------------------------------------------------------------------

def _grants(report):
    """Every grant of the review as ``{group, host, provider, mapping, role, scope, group_type?, filter?}``; a grant
    of an unattributed Confluent mapping has the group '' and carries the mapping's filter."""
    found = []
    for group in report.get('groups') or []:
        for grant in group.get('grants') or []:
            found.append(_grant(str(group.get('group') or ''), grant))
    for item in report.get('unattributed') or []:
        for grant in item.get('grants') or []:
            found.append(dict(_grant('', grant), filter=str(item.get('filter') or '')))
    return found


def _grant(group, grant):
    found = dict((name, str(grant.get(name) or '')) for name in GRANT_FIELDS)
    found['group'] = group
    if grant.get('group_type'):
        found['group_type'] = str(grant['group_type'])
    return found


def _label(grant):
    """A grant as a message names it."""
    if not grant['role']:
        return '%s: mapping %s (grants nothing)' % (grant['host'], grant['mapping'])
    return '%s: %s on %s' % (grant['host'], grant['role'], grant['scope'])


def _names(items):
    items = list(items)
    shown = ', '.join(items[:_NAMED])
    return shown + (' and %d more' % (len(items) - _NAMED) if len(items) > _NAMED else '')


# --- the kinds -------------------------------------------------------------------------------------
# Each gives (where, message) pairs: where is a grant's fields, or those of a mapping, a group or a target.

def _where(group='', host='', provider='', mapping='', role='', scope=''):
    return {'group': group, 'host': host, 'provider': provider, 'mapping': mapping, 'role': role, 'scope': scope}


def _by_group(grants):
    groups = {}
    for grant in grants:
        if grant['group']:  # an unattributed mapping's grants belong to no group
            groups.setdefault(grant['group'], []).append(grant)
    return groups


def _allowed_groups(rule, grants, context):
    allowed = {}
    for grant in filter(rule['grants'], grants):
        group = grant['group']
        if group not in allowed:
            # A mapping whose filter names no group is no allowed group, whatever the patterns.
            allowed[group] = bool(group) and any(pattern.fullmatch(group) for pattern in rule['groups'])
        if not allowed[group]:
            who = 'the group %r' % group if group else 'a Confluent mapping whose filter names no group'
            yield (_where(**dict((k, grant[k]) for k in ('group',) + GRANT_FIELDS)),
                   '%s holds %s; only groups matching %s may' % (who, _label(grant), _names(p.pattern for p in rule['groups'])))


def _forbidden(rule, grants, context):
    for grant in filter(rule['grants'], grants):
        yield (_where(**dict((k, grant[k]) for k in ('group',) + GRANT_FIELDS)),
               '%s holds %s, which the rule forbids' % ('the group %r' % grant['group'] if grant['group'] else 'an unattributed mapping',
                                                        _label(grant)))


def _match_everyone(rule, grants, context):
    mappings = {}
    for grant in grants:
        if grant['provider'] == 'confluent' and 'filter' in grant:
            key = ('', grant['host'], grant['provider'], grant['mapping'])
        elif grant['provider'] == 'aria' and grant.get('group_type') == EVERYONE_GROUP_TYPE:
            key = (grant['group'], grant['host'], grant['provider'], grant['mapping'])
        else:
            continue
        mappings.setdefault(key, []).append(grant)
    for (group, host, provider, mapping), mine in sorted(mappings.items()):
        if not any(rule['grants'](grant) for grant in mine):
            continue
        if provider == 'confluent':
            reason = everyone_reason(mine[0]['filter'])
            if reason is None:
                continue
            message = 'the Confluent mapping %r has the filter %r: %s' % (mapping, mine[0]['filter'], reason)
        else:
            message = 'the Aria group %r is of type %s: every user of the directory is in it' % (mapping, EVERYONE_GROUP_TYPE)
        granted = [g for g in mine if g['role']]
        message += '; it grants %s' % _names(_label(g) for g in granted) if granted else '; it grants nothing today'
        yield _where(group=group, host=host, provider=provider, mapping=mapping), message


def _max_platforms(rule, grants, context):
    for group, mine in sorted(_by_group(filter(rule['grants'], grants)).items()):
        providers = [p for p in PROVIDERS if any(g['provider'] == p for g in mine)]
        if len(providers) > rule['max']:
            yield (_where(group=group), 'the group %r holds grants on %d platforms (%s), more than %d: %s' % (
                group, len(providers), ', '.join(providers), rule['max'], _names(_label(g) for g in mine)))


def _groups_per_target(rule, grants, context):
    holders = {}
    for grant in filter(rule['grants'], grants):
        if grant['group']:
            holders.setdefault(grant['host'], set()).add(grant['group'])
    for target in context['targets']:
        if target['status'] != FAILED and rule['grants'].admits_target(target):
            yield target, sorted(holders.get(target['host'], ()))


def _min_groups(rule, grants, context):
    for target, groups in _groups_per_target(rule, grants, context):
        if len(groups) < rule['min']:
            held = ('only %d group holds one (%s)' % (len(groups), _names(groups)) if len(groups) == 1 else
                    '%d groups hold one (%s)' % (len(groups), _names(groups)) if groups else 'no group holds one')
            yield (_where(host=target['host'], provider=target['provider']),
                   'at least %d group%s must hold a grant the rule selects on %s; %s' % (
                       rule['min'], '' if rule['min'] == 1 else 's', target['host'], held))


def _max_groups(rule, grants, context):
    for target, groups in _groups_per_target(rule, grants, context):
        if len(groups) > rule['max']:
            yield (_where(host=target['host'], provider=target['provider']),
                   'at most %d group%s may hold a grant the rule selects on %s; %d do: %s' % (
                       rule['max'], '' if rule['max'] == 1 else 's', target['host'], len(groups), _names(groups)))


def _exclusive(rule, grants, context):
    selected = _by_group(filter(rule['grants'], grants))
    others = _by_group(filter(rule['other'], grants))
    for group in sorted(set(selected) & set(others)):
        yield (_where(group=group), 'the group %r holds both %s and %s, which the rule keeps apart' % (
            group, _names(_label(g) for g in selected[group]), _names(_label(g) for g in others[group])))


def _owner_required(rule, grants, context):
    catalogue = context['sso_groups']
    for group, mine in sorted(_by_group(filter(rule['grants'], grants)).items()):
        entry = catalogue.get(group)
        if isinstance(entry, dict) and not entry.get('owner'):
            yield (_where(group=group), 'the sso_groups entry %r has no owner, and the group holds %s' % (
                group, _names(_label(g) for g in mine)))


KIND_CHECKS = {'allowed_groups': _allowed_groups, 'forbidden': _forbidden, 'match_everyone': _match_everyone,
               'max_platforms': _max_platforms, 'min_groups': _min_groups, 'max_groups': _max_groups,
               'exclusive': _exclusive, 'owner_required': _owner_required}


# --- the evaluation --------------------------------------------------------------------------------

def _waivers(policy, day):
    """Each waiver with its expiry date and whether it still waives."""
    found = []
    for waiver in policy.get('waivers') or []:
        expires = _day(waiver['expires'])
        found.append({'rule': str(waiver['rule']), 'group': str(waiver['group']),
                      'host': str(waiver['host']) if waiver.get('host') is not None else None,
                      'reason': str(waiver['reason']), 'expires': expires.isoformat(), 'active': expires > day, 'used': False})
    return found


def _waive(finding, waivers):
    """The first waiver that still waives the finding waives it; every one that matches it is used."""
    for waiver in waivers:
        if (waiver['active'] and waiver['rule'] == finding['rule'] and waiver['group'] == finding['group']
                and (waiver['host'] is None or waiver['host'] == finding['host'])):
            waiver['used'] = True
            if finding['status'] != WAIVED:
                finding['status'] = WAIVED
                finding['waiver'] = {'reason': waiver['reason'], 'expires': waiver['expires']}


def evaluate(report, policy, sso_groups=None, today=None, evaluated='live', generated_at=None):
    """The policy report of ``policy`` on the access review ``report``: ``{generated_at, evaluated, targets, rules,
    findings, stale_waivers, summary}``. A malformed policy raises AnsibleFilterError listing its problems."""
    day = today_utc(today)
    problems = policy_problems(policy, day)
    if problems:
        raise AnsibleFilterError('sso.mappings: the access policy is malformed:\n%s' % '\n'.join(problems))
    policy = _raw(policy)
    report = plain(report or {})
    if not isinstance(report, dict):
        raise AnsibleFilterError('sso.mappings.policy_findings: expected an access review report (a dictionary), got %s'
                                 % _arguments.type_name(report))
    tiers = _tiers(policy)
    targets = [dict((k, target.get(k)) for k in ('host', 'provider', 'status', 'error') if k in target)
               for target in report.get('targets') or []]
    catalogue = declared(sso_groups)
    context = {'targets': targets, 'sso_groups': catalogue if isinstance(catalogue, dict) else {}}
    grants = _grants(report)
    waivers = _waivers(policy, day)
    rules, findings = [], []
    for raw in policy.get('rules') or []:
        rule = _rule(raw, tiers)
        mine = []
        for where, message in KIND_CHECKS[rule['kind']](rule, grants, context):
            finding = {'rule': rule['id'], 'kind': rule['kind'], 'severity': rule['severity'], 'enforce': rule['enforce'],
                       'status': VIOLATION}
            finding.update(where)
            finding['message'] = message
            _waive(finding, waivers)
            mine.append(finding)
        mine.sort(key=lambda f: tuple(f[k] for k in ('group', 'host', 'provider', 'mapping', 'role', 'scope')))
        findings.extend(mine)
        rules.append({'id': rule['id'], 'kind': rule['kind'], 'severity': rule['severity'], 'enforce': rule['enforce'],
                      'description': rule['description'], 'violations': sum(1 for f in mine if f['status'] == VIOLATION)})
    stale = []
    for waiver in waivers:
        if not waiver['active'] or not waiver['used']:
            entry = dict((k, waiver[k]) for k in ('rule', 'group'))
            if waiver['host'] is not None:
                entry['host'] = waiver['host']
            entry.update({'reason': waiver['reason'], 'expires': waiver['expires'], 'why': EXPIRED if not waiver['active'] else UNUSED})
            stale.append(entry)
    violations = [f for f in findings if f['status'] == VIOLATION]
    return {
        'generated_at': generated_at or now(),
        'evaluated': evaluated,
        'targets': targets,
        'rules': rules,
        'findings': findings,
        'stale_waivers': stale,
        'summary': {
            'violations': len(violations),
            'enforced': sum(1 for f in violations if f['enforce']),
            'waived': sum(1 for f in findings if f['status'] == WAIVED),
            'stale_waivers': len(stale),
            'unread_targets': sum(1 for t in targets if t.get('status') == FAILED),
        },
    }


def stats(report):
    """What set_stats publishes as ``sso_mappings_policy``: the summary and the enforced violations."""
    return {'summary': dict(plain(report or {}).get('summary') or {}), 'violations': enforced_violations(report)}


def enforced_violations(report):
    """The findings that stop an apply or fail an audit: violations of rules that enforce."""
    return [f for f in (plain(report or {}).get('findings') or []) if f.get('status') == VIOLATION and f.get('enforce')]


def failure_message(report):
    """A message naming the rules and the groups (or targets) of the enforced violations; '' when there are none."""
    enforced = enforced_violations(report)
    if not enforced:
        return ''
    by_rule = {}
    for finding in enforced:
        by_rule.setdefault(finding['rule'], []).append(finding.get('group') or finding.get('mapping') or finding.get('host') or '?')
    return 'the access policy is violated: %s' % '; '.join(
        'rule %s (%s)' % (rule, _names(dict.fromkeys(names))) for rule, names in by_rule.items())


# --- the planned state ---------------------------------------------------------------------------

def planned_mappings(planned, provider, live=None):
    """The mappings a target will hold after a run, for the policy: a set module's ``mappings`` in check mode.

    A Confluent set module reads a mapping's role bindings only when its item names ``role_bindings``, so a planned
    mapping without them takes the bindings of the live mapping of the same id (``live``: the info module's
    ``mappings``, which carry every mapping's bindings); a mapping that does not exist yet has none."""
    planned = plain(planned or [])
    if provider != 'confluent':
        return planned
    bindings = dict((m['id'], m.get('role_bindings') or []) for m in plain(live or []) if isinstance(m, dict) and m.get('id'))
    return [dict(m, role_bindings=bindings.get(m.get('id'), [])) if isinstance(m, dict) and 'role_bindings' not in m else m
            for m in planned]
