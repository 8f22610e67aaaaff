# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access policy engine over hand-built access reviews: each rule kind finds what it should and nothing else,
the grant selectors and tiers, waivers, unread targets, and the policy's check."""

from __future__ import annotations

import datetime
import importlib.util
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.sso.mappings.plugins.plugin_utils._policy import evaluate, failure_message, policy_problems, stats

TODAY = datetime.date(2026, 3, 1)
WHEN = '2026-03-01T08:00:00Z'
ORG = '5e2211c17a3e5a48f5497de3'
PROJECT = '6a1b2c3d4e5f60718293a4b5'
CRN = 'crn://confluent.cloud/organization=1111aaaa-22bb-33cc-44dd-555555eeeeee'
ENV = CRN + '/environment=env-1'
C, A, L, DR = 'confluent-org', 'atlas-org', 'aria-lcm', 'aria-dr'


def grant(host, mapping, role, scope, **extra):
    provider = {C: 'confluent', A: 'atlas', L: 'aria', DR: 'aria'}[host]
    return dict({'host': host, 'provider': provider, 'mapping': mapping, 'role': role, 'scope': scope}, **extra)


def review():
    """Three targets read and one not; groups with admin grants on one, two and three platforms; an Aria group of
    every user; a mapping that grants nothing; Confluent filters that name no group."""
    return {
        'generated_at': WHEN,
        'targets': [{'host': DR, 'provider': 'aria', 'status': 'failed', 'error': 'Aria: list groups: HTTP 401'},
                    {'host': L, 'provider': 'aria', 'status': 'ok'}, {'host': A, 'provider': 'atlas', 'status': 'ok'},
                    {'host': C, 'provider': 'confluent', 'status': 'ok'}],
        'groups': [
            {'group': 'eng', 'grants': [grant(C, 'eng', 'DeveloperRead', ENV), grant(A, 'eng', 'GROUP_OWNER', 'project:' + PROJECT),
                                        grant(A, 'eng', 'ORG_MEMBER', 'org:' + ORG)]},
            {'group': 'everyone', 'grants': [grant(L, 'everyone@example.com', 'Content Developer', 'appliance', group_type='ALL_USERS')]},
            {'group': 'idle', 'grants': [grant(L, 'idle@example.com', '', '')]},
            {'group': 'ops-admins', 'grants': [grant(C, 'ops-admins', 'EnvironmentAdmin', ENV)]},
            {'group': 'platform-admins', 'grants': [grant(C, 'platform-admins', 'OrganizationAdmin', CRN),
                                                    grant(A, 'platform-admins', 'ORG_OWNER', 'org:' + ORG),
                                                    grant(L, 'platform-admins@example.com', 'LCM Admin', 'appliance', group_type='AD_GROUP')]},
        ],
        'unattributed': [
            {'host': C, 'provider': 'confluent', 'mapping': 'all', 'filter': 'true', 'grants': [grant(C, 'all', '', '')]},
            {'host': C, 'provider': 'confluent', 'mapping': 'by-email', 'filter': 'claims.email.endsWith("@example.com")',
             'grants': [grant(C, 'by-email', 'MetricsViewer', CRN)]},
            {'host': C, 'provider': 'confluent', 'mapping': 'verified', 'filter': '"eng" in groups && claims.email_verified',
             'grants': [grant(C, 'verified', 'DeveloperRead', ENV)]},
        ],
    }


def run(*rules, review_report=None, sso_groups=None, waivers=None, tiers=None):
    policy = {'rules': [dict({'id': 'rule-%d' % index}, **rule) for index, rule in enumerate(rules)]}
    if waivers is not None:
        policy['waivers'] = waivers
    if tiers is not None:
        policy['tiers'] = tiers
    return evaluate(review() if review_report is None else review_report, policy, sso_groups, today=TODAY, generated_at=WHEN)


def found(report, *fields):
    """The findings as tuples of the given fields (default: group, host, mapping, role)."""
    fields = fields or ('group', 'host', 'mapping', 'role')
    return [tuple(f[k] for k in fields) for f in report['findings']]


# --- the report -----------------------------------------------------------------------------------

def test_the_report_has_the_contracts_shape():
    report = run({'kind': 'forbidden', 'grants': {'role': 'ORG_OWNER'}, 'description': 'No org owners'})
    assert list(report) == ['generated_at', 'evaluated', 'targets', 'rules', 'findings', 'stale_waivers', 'summary']
    assert report['generated_at'] == WHEN and report['evaluated'] == 'live'
    assert report['targets'][0] == {'host': DR, 'provider': 'aria', 'status': 'failed', 'error': 'Aria: list groups: HTTP 401'}
    assert report['rules'] == [{'id': 'rule-0', 'kind': 'forbidden', 'severity': 'high', 'enforce': True,
                                'description': 'No org owners', 'violations': 1}]
    (finding,) = report['findings']
    assert finding == {'rule': 'rule-0', 'kind': 'forbidden', 'severity': 'high', 'enforce': True, 'status': 'violation',
                       'group': 'platform-admins', 'host': A, 'provider': 'atlas', 'mapping': 'platform-admins', 'role': 'ORG_OWNER',
                       'scope': 'org:' + ORG,
                       'message': "the group 'platform-admins' holds atlas-org: ORG_OWNER on org:%s, which the rule forbids" % ORG}
    assert report['stale_waivers'] == []
    assert report['summary'] == {'violations': 1, 'enforced': 1, 'waived': 0, 'stale_waivers': 0, 'unread_targets': 1}
    assert evaluate(review(), {'rules': []}, today=TODAY, evaluated='planned')['evaluated'] == 'planned'


def test_severity_and_enforce_are_the_rules_own_or_the_defaults():
    report = run({'kind': 'forbidden', 'grants': {'role': 'ORG_OWNER'}, 'severity': 'low', 'enforce': False},
                 {'kind': 'forbidden', 'grants': {'role': 'ORG_OWNER'}, 'severity': 'critical', 'enforce': 'yes'})
    assert [(r['severity'], r['enforce']) for r in report['rules']] == [('low', False), ('critical', True)]
    assert [(f['rule'], f['severity'], f['enforce']) for f in report['findings']] == [('rule-0', 'low', False), ('rule-1', 'critical', True)]
    assert report['summary']['violations'] == 2 and report['summary']['enforced'] == 1
    assert stats(report) == {'summary': report['summary'], 'violations': [report['findings'][1]]}
    assert failure_message(report) == 'the access policy is violated: rule rule-1 (platform-admins)'
    assert failure_message(run({'kind': 'forbidden', 'grants': {'role': 'ORG_OWNER'}, 'enforce': False})) == ''


# --- each kind finds what it should and nothing else ----------------------------------------------

def test_allowed_groups_reports_each_selected_grant_of_a_group_no_pattern_matches():
    report = run({'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['.*-admins']})
    assert found(report) == [('eng', A, 'eng', 'GROUP_OWNER')]
    assert "only groups matching .*-admins may" in report['findings'][0]['message']
    # Patterns match the whole name: "admins" alone does not match "ops-admins".
    assert found(run({'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['admins', 'platform-.*']})) == [
        ('eng', A, 'eng', 'GROUP_OWNER'), ('ops-admins', C, 'ops-admins', 'EnvironmentAdmin')]


def test_allowed_groups_reports_the_grants_of_a_mapping_whose_filter_names_no_group():
    # Even a pattern that matches anything: a filter that names no group is no allowed group.
    report = run({'kind': 'allowed_groups', 'grants': {'provider': 'confluent'}, 'groups': ['.*']})
    assert found(report) == [('', C, 'all', ''), ('', C, 'by-email', 'MetricsViewer'), ('', C, 'verified', 'DeveloperRead')]
    assert report['findings'][1]['message'].startswith('a Confluent mapping whose filter names no group holds confluent-org: MetricsViewer')


def test_forbidden_reports_each_selected_grant():
    assert found(run({'kind': 'forbidden', 'grants': {'provider': 'atlas', 'role': ['GROUP_OWNER', 'ORG_OWNER']}})) == [
        ('eng', A, 'eng', 'GROUP_OWNER'), ('platform-admins', A, 'platform-admins', 'ORG_OWNER')]
    # Without a selector, every grant, a mapping that grants nothing included (as the review lists it).
    assert len(run({'kind': 'forbidden'})['findings']) == 12


def test_match_everyone_reports_filters_that_match_anyone_and_aria_groups_of_every_user():
    report = run({'kind': 'match_everyone'})
    assert found(report, 'group', 'host', 'provider', 'mapping', 'role', 'scope') == [
        ('', C, 'confluent', 'all', '', ''), ('', C, 'confluent', 'by-email', '', ''), ('everyone', L, 'aria', 'everyone@example.com', '', '')]
    messages = [f['message'] for f in report['findings']]
    assert messages[0] == ("the Confluent mapping 'all' has the filter 'true': the alternative `true` tests no \"<name>\" in <claims path>, "
                           "so it matches users whatever their groups; it grants nothing today")
    assert messages[1].endswith('; it grants confluent-org: MetricsViewer on %s' % CRN)
    assert messages[2] == ("the Aria group 'everyone@example.com' is of type ALL_USERS: every user of the directory is in it; "
                           "it grants aria-lcm: Content Developer on appliance")
    # The selector narrows the mappings to those with a selected grant.
    assert found(run({'kind': 'match_everyone', 'grants': {'provider': 'aria'}}), 'mapping') == [('everyone@example.com',)]
    assert found(run({'kind': 'match_everyone', 'grants': {'role': 'MetricsViewer'}}), 'mapping') == [('by-email',)]
    assert run({'kind': 'match_everyone', 'grants': {'tier': 'admin'}})['findings'] == []


def test_match_everyone_reports_a_filter_that_cannot_be_parsed_as_such():
    built = review()
    built['unattributed'] = [{'host': C, 'provider': 'confluent', 'mapping': 'broken', 'filter': '"eng" in groups ||',
                              'grants': [grant(C, 'broken', 'DeveloperRead', ENV)]}]
    (finding,) = run({'kind': 'match_everyone', 'grants': {'provider': 'confluent'}}, review_report=built)['findings']
    assert 'the filter cannot be parsed as CEL (unexpected end of the filter), so it may match anyone' in finding['message']


def test_max_platforms_reports_each_group_with_selected_grants_on_more_platforms():
    report = run({'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 1})
    assert found(report, 'group', 'host', 'provider', 'mapping', 'role', 'scope') == [('platform-admins', '', '', '', '', '')]
    assert report['findings'][0]['message'] == (
        "the group 'platform-admins' holds grants on 3 platforms (confluent, atlas, aria), more than 1: confluent-org: "
        "OrganizationAdmin on %s, atlas-org: ORG_OWNER on org:%s, aria-lcm: LCM Admin on appliance" % (CRN, ORG))
    assert found(run({'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 2})) == [('platform-admins', '', '', '')]
    assert run({'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 3})['findings'] == []
    # Every grant: eng is on two platforms; the unattributed mappings belong to no group.
    assert found(run({'kind': 'max_platforms', 'max': 1}), 'group') == [('eng',), ('platform-admins',)]


def test_min_groups_reports_each_admitted_target_with_too_few_groups():
    org_admin = {'provider': 'confluent', 'role': 'OrganizationAdmin'}
    assert run({'kind': 'min_groups', 'grants': org_admin, 'min': 1})['findings'] == []
    report = run({'kind': 'min_groups', 'grants': org_admin, 'min': 2})
    assert found(report, 'group', 'host', 'provider', 'mapping', 'role', 'scope') == [('', C, 'confluent', '', '', '')]
    assert report['findings'][0]['message'] == ('at least 2 groups must hold a grant the rule selects on confluent-org; '
                                                'only 1 group holds one (platform-admins)')
    # Only the targets of the providers the selector admits: with a tier, those it has roles for. A target that
    # could not be read is not judged (it is reported as unread).
    assert found(run({'kind': 'min_groups', 'grants': {'tier': 'admin'}, 'min': 2}), 'host') == [(L,)]
    assert found(run({'kind': 'min_groups', 'grants': {'role': 'LCM Cloud Admin'}, 'min': 1}), 'host', 'message') == [
        (L, 'at least 1 group must hold a grant the rule selects on aria-lcm; no group holds one'),
        (A, 'at least 1 group must hold a grant the rule selects on atlas-org; no group holds one'),
        (C, 'at least 1 group must hold a grant the rule selects on confluent-org; no group holds one')]
    assert found(run({'kind': 'min_groups', 'grants': {'role': 'LCM Cloud Admin', 'host': [A, L]}, 'min': 1}), 'host') == [(L,), (A,)]
    # A mapping whose filter names no group keeps no group's access.
    assert found(run({'kind': 'min_groups', 'grants': {'role': 'MetricsViewer', 'provider': 'confluent'}, 'min': 1}), 'host') == [(C,)]


def test_max_groups_reports_each_admitted_target_with_too_many_groups():
    report = run({'kind': 'max_groups', 'grants': {'tier': 'admin'}, 'max': 1})
    assert found(report, 'group', 'host', 'provider') == [('', L, 'aria'), ('', A, 'atlas'), ('', C, 'confluent')][1:]
    assert report['findings'][0]['message'] == 'at most 1 group may hold a grant the rule selects on atlas-org; 2 do: eng, platform-admins'
    assert run({'kind': 'max_groups', 'grants': {'tier': 'admin'}, 'max': 2})['findings'] == []


def test_exclusive_reports_each_group_holding_both_kinds_of_grant():
    report = run({'kind': 'exclusive', 'grants': {'tier': 'admin', 'provider': 'atlas'}, 'other': {'provider': 'confluent'}})
    assert found(report, 'group', 'host', 'mapping') == [('eng', '', ''), ('platform-admins', '', '')]
    assert report['findings'][0]['message'] == ("the group 'eng' holds both atlas-org: GROUP_OWNER on project:%s and "
                                                "confluent-org: DeveloperRead on %s, which the rule keeps apart" % (PROJECT, ENV))
    assert run({'kind': 'exclusive', 'grants': {'role': 'LCM Admin'}, 'other': {'role': 'DeveloperRead'}})['findings'] == []


def test_owner_required_reports_each_catalogue_group_with_selected_grants_and_no_owner():
    catalogue = {'platform-admins': {'owner': 'platform@example.com'}, 'eng': {'description': 'Engineers'},
                 'ops-admins': {'owner': ''}, 'not-live': {}, 'idle': {}}
    report = run({'kind': 'owner_required', 'grants': {'tier': 'admin'}}, sso_groups=catalogue)
    assert found(report, 'group', 'host') == [('eng', ''), ('ops-admins', '')]
    assert report['findings'][0]['message'].startswith("the sso_groups entry 'eng' has no owner, and the group holds atlas-org: GROUP_OWNER")
    # Every grant: idle's mapping that grants nothing counts too; a group not in the catalogue is not judged.
    assert found(run({'kind': 'owner_required'}, sso_groups=catalogue), 'group') == [('eng',), ('idle',), ('ops-admins',)]
    assert run({'kind': 'owner_required'})['findings'] == []


# --- selectors and tiers --------------------------------------------------------------------------

@pytest.mark.parametrize('selector, expected', [
    ({'provider': 'aria'}, ['Content Developer', '', 'LCM Admin']),
    ({'provider': ['aria', 'atlas'], 'role': 'ORG_OWNER'}, ['ORG_OWNER']),
    ({'role': ['DeveloperRead']}, ['DeveloperRead', 'DeveloperRead']),
    ({'tier': 'admin', 'host': C}, ['EnvironmentAdmin', 'OrganizationAdmin']),
    ({'host': [L]}, ['Content Developer', '', 'LCM Admin']),
    ({'scope': 'org:.*'}, ['ORG_MEMBER', 'ORG_OWNER']),
    ({'scope': 'org'}, []),  # the whole scope must match
    ({'scope': 'crn://confluent[.]cloud/organization=[^/]+'}, ['OrganizationAdmin', 'MetricsViewer']),
    ({'provider': 'atlas', 'role': 'DeveloperRead'}, []),  # every key given must match
])
def test_a_selector_matches_a_grant_when_every_key_it_gives_matches(selector, expected):
    report = run({'kind': 'forbidden', 'grants': selector})
    assert sorted(f['role'] for f in report['findings']) == sorted(expected)


def test_a_tier_of_the_policy_replaces_the_built_in_one_for_the_providers_it_lists():
    # Atlas admin is now ORG_OWNER alone: GROUP_OWNER no longer counts; Confluent and Aria keep the built-in roles.
    report = run({'kind': 'forbidden', 'grants': {'tier': 'admin'}}, tiers={'admin': {'atlas': ['ORG_OWNER']}})
    assert sorted(f['role'] for f in report['findings']) == ['EnvironmentAdmin', 'LCM Admin', 'ORG_OWNER', 'OrganizationAdmin']
    # A tier of one's own has only the providers it lists.
    readers = run({'kind': 'forbidden', 'grants': {'tier': 'readers'}}, {'kind': 'min_groups', 'grants': {'tier': 'readers'}, 'min': 1},
                  tiers={'readers': {'atlas': 'ORG_MEMBER', 'confluent': ['MetricsViewer']}})
    assert found(readers, 'rule', 'group', 'host', 'role') == [('rule-0', '', C, 'MetricsViewer'), ('rule-0', 'eng', A, 'ORG_MEMBER'),
                                                               ('rule-1', '', C, '')]
    # An empty list takes the provider out of the tier.
    assert sorted(f['role'] for f in run({'kind': 'forbidden', 'grants': {'tier': 'admin'}},
                                         tiers={'admin': {'aria': [], 'confluent': []}})['findings']) == ['GROUP_OWNER', 'ORG_OWNER']


# --- waivers --------------------------------------------------------------------------------------

ADMINS_NAMED = {'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['.*-admins']}


def test_a_valid_waiver_waives_its_rules_findings_for_its_group():
    waiver = {'rule': 'rule-0', 'group': 'eng', 'reason': 'Moving to eng-admins (SEC-123)', 'expires': '2026-06-30'}
    report = run(ADMINS_NAMED, waivers=[waiver])
    (finding,) = report['findings']
    assert finding['status'] == 'waived' and finding['waiver'] == {'reason': 'Moving to eng-admins (SEC-123)', 'expires': '2026-06-30'}
    assert report['rules'][0]['violations'] == 0
    assert report['summary'] == {'violations': 0, 'enforced': 0, 'waived': 1, 'stale_waivers': 0, 'unread_targets': 1}
    assert report['stale_waivers'] == [] and failure_message(report) == ''
    # A YAML date works as well, and a waiver may name the host.
    assert run(ADMINS_NAMED, waivers=[dict(waiver, expires=datetime.date(2026, 6, 30), host=A)])['findings'][0]['status'] == 'waived'


def test_a_waiver_for_another_host_or_group_waives_nothing_and_is_stale():
    waivers = [{'rule': 'rule-0', 'group': 'eng', 'host': C, 'reason': 'only there', 'expires': '2026-06-30'},
               {'rule': 'rule-0', 'group': 'ops', 'reason': 'wrong group', 'expires': '2026-06-30'}]
    report = run(ADMINS_NAMED, waivers=waivers)
    assert [f['status'] for f in report['findings']] == ['violation']
    assert report['stale_waivers'] == [
        {'rule': 'rule-0', 'group': 'eng', 'host': C, 'reason': 'only there', 'expires': '2026-06-30', 'why': 'unused'},
        {'rule': 'rule-0', 'group': 'ops', 'reason': 'wrong group', 'expires': '2026-06-30', 'why': 'unused'}]
    assert report['summary']['stale_waivers'] == 2


@pytest.mark.parametrize('expires', ['2026-03-01', '2025-12-31'])  # today counts as expired, as sso_groups' expires does
def test_an_expired_waiver_no_longer_waives_and_is_stale(expires):
    waiver = {'rule': 'rule-0', 'group': 'eng', 'reason': 'Moving', 'expires': expires}
    report = run(ADMINS_NAMED, waivers=[waiver])
    assert [f['status'] for f in report['findings']] == ['violation'] and 'waiver' not in report['findings'][0]
    assert report['stale_waivers'] == [dict(waiver, why='expired')]
    assert failure_message(report) == 'the access policy is violated: rule rule-0 (eng)'


def test_a_finding_about_a_target_is_waived_by_the_empty_group_and_its_host():
    waiver = {'rule': 'rule-0', 'group': '', 'host': C, 'reason': 'break-glass account only', 'expires': '2026-04-01'}
    report = run({'kind': 'min_groups', 'grants': {'provider': 'confluent', 'role': 'OrganizationAdmin'}, 'min': 2}, waivers=[waiver])
    assert [f['status'] for f in report['findings']] == ['waived'] and report['stale_waivers'] == []


# --- what could not be read -----------------------------------------------------------------------

def test_a_target_that_could_not_be_read_is_reported_never_skipped():
    report = run({'kind': 'min_groups', 'grants': {'tier': 'admin'}, 'min': 1})
    assert report['summary']['unread_targets'] == 1
    assert [t for t in report['targets'] if t['status'] == 'failed'] == [
        {'host': DR, 'provider': 'aria', 'status': 'failed', 'error': 'Aria: list groups: HTTP 401'}]
    assert report['findings'] == []  # the unread target is not judged on grants nobody read
    every = review()
    every['targets'] = [dict(t, status='ok') for t in every['targets'] if t['host'] != DR]
    assert run({'kind': 'forbidden'}, review_report=every)['summary']['unread_targets'] == 0


def test_the_same_review_in_any_order_gives_the_same_report():
    shuffled = review()
    shuffled['groups'].reverse()
    shuffled['unattributed'].reverse()
    for group in shuffled['groups']:
        group['grants'].reverse()
    rules = ({'kind': 'forbidden'}, {'kind': 'match_everyone'}, {'kind': 'max_groups', 'max': 1}, ADMINS_NAMED)
    assert run(*rules, review_report=shuffled) == run(*rules)


# --- the policy's check ---------------------------------------------------------------------------

GOOD = {'rules': [{'id': 'admins-are-named', 'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['.*-admins']}],
        'waivers': [{'rule': 'admins-are-named', 'group': 'legacy', 'reason': 'SEC-1', 'expires': '2026-12-31'}]}


def with_rule(**rule):
    return {'rules': [dict({'id': 'r', 'kind': 'forbidden'}, **rule)]}


@pytest.mark.parametrize('policy, problem', [
    ([], 'sso_policy must be a dictionary with rules (and optionally tiers and waivers), got a list'),
    ({}, 'sso_policy: rules is required'),
    ({'rules': [], 'rule': []}, "sso_policy: unknown key 'rule' (valid keys: rules, tiers, waivers)"),
    (with_rule(kind='forbid'), 'sso_policy.rules[0] (r): kind must be one of allowed_groups, forbidden, match_everyone, max_platforms, '
                               "min_groups, max_groups, exclusive, owner_required, got 'forbid'"),
    (with_rule(grant={'tier': 'admin'}), "sso_policy.rules[0] (r): unknown key 'grant'"),
    (with_rule(grants={'tiers': 'admin'}), "sso_policy.rules[0] (r).grants: unknown key 'tiers'"),
    (with_rule(grants={'provider': 'okta'}), 'sso_policy.rules[0] (r).grants: provider must be one of confluent, atlas, aria'),
    (with_rule(grants={'provider': ['atlas', 'okta']}), 'sso_policy.rules[0] (r).grants.provider[1] must be one of confluent, atlas, aria'),
    (with_rule(grants={'tier': 'owners'}), "sso_policy.rules[0] (r): grants.tier 'owners' is not a tier (tiers: admin)"),
    (with_rule(grants={'scope': 'org:('}), 'sso_policy.rules[0] (r): grants.scope is not a valid regular expression (missing ), '
                                           "unterminated subpattern at position 4): 'org:('"),
    (with_rule(severity='urgent'), 'sso_policy.rules[0] (r): severity must be one of critical, high, medium, low, info'),
    (with_rule(enforce='perhaps'), 'sso_policy.rules[0] (r): enforce must be a boolean (true or false), got a string'),
    (with_rule(id='Admins_Named'), "sso_policy.rules[0] (Admins_Named): id must be lower-case letters, digits and hyphens ([a-z0-9-]+), "
                                   "got 'Admins_Named'"),
    ({'rules': [{'kind': 'forbidden'}]}, 'sso_policy.rules[0]: id is required'),
    ({'rules': [{'id': 'a', 'kind': 'forbidden'}, {'id': 'a', 'kind': 'forbidden'}]},
     "sso_policy.rules[1] (a): id 'a' is already the id of sso_policy.rules[0]"),
    (with_rule(kind='allowed_groups'), 'sso_policy.rules[0] (r): a rule of kind allowed_groups needs groups'),
    (with_rule(kind='allowed_groups', groups=[]), 'sso_policy.rules[0] (r): groups must name at least one pattern'),
    (with_rule(kind='allowed_groups', groups=['ok', '*-admins']), 'sso_policy.rules[0] (r): groups[1] is not a valid regular expression'),
    (with_rule(kind='max_platforms'), 'sso_policy.rules[0] (r): a rule of kind max_platforms needs max'),
    (with_rule(kind='min_groups'), 'sso_policy.rules[0] (r): a rule of kind min_groups needs min'),
    (with_rule(kind='min_groups', min=0), 'sso_policy.rules[0] (r): min must be at least 1, got 0'),
    (with_rule(kind='max_groups', max=-1), 'sso_policy.rules[0] (r): max must be at least 0, got -1'),
    (with_rule(kind='max_groups', max='many'), 'sso_policy.rules[0] (r): max must be an integer, got a string'),
    (with_rule(kind='exclusive'), 'sso_policy.rules[0] (r): a rule of kind exclusive needs other'),
    (with_rule(kind='forbidden', max=1), 'sso_policy.rules[0] (r): max does not apply to a rule of kind forbidden '
                                         '(it takes id, description, kind, grants, severity, enforce)'),
    ({'rules': [], 'tiers': {'admin': ['ORG_OWNER']}}, 'sso_policy.tiers.admin must be a dictionary of provider to role names, got a list'),
    ({'rules': [], 'tiers': {'admin': {'okta': ['x']}}}, "sso_policy.tiers.admin: unknown key 'okta' (valid keys: aria, atlas, confluent)"),
    (dict(GOOD, waivers=[{'rule': 'admins-are-named', 'group': 'x', 'expires': '2026-12-31'}]),
     'sso_policy.waivers[0] (rule admins-are-named, group x): reason is required'),
    (dict(GOOD, waivers=[{'rule': 'admins-are-named', 'group': 'x', 'reason': ' ', 'expires': '2026-12-31'}]),
     'sso_policy.waivers[0] (rule admins-are-named, group x): reason must say why the finding is accepted'),
    (dict(GOOD, waivers=[{'rule': 'admins-are-named', 'group': 'x', 'reason': 'r'}]),
     'sso_policy.waivers[0] (rule admins-are-named, group x): expires is required'),
    (dict(GOOD, waivers=[{'rule': 'admins-are-named', 'group': 'x', 'reason': 'r', 'expires': 'next year'}]),
     "sso_policy.waivers[0] (rule admins-are-named, group x): expires must be a date (YYYY-MM-DD), got 'next year'"),
    (dict(GOOD, waivers=[{'rule': 'admins-are-named', 'group': 'x', 'reason': 'r', 'expires': '2027-03-03'}]),
     'sso_policy.waivers[0] (rule admins-are-named, group x): expires 2027-03-03 is more than 366 days after 2026-03-01'),
    (dict(GOOD, waivers=[{'rule': 'admins-named', 'group': 'x', 'reason': 'r', 'expires': '2026-12-31'}]),
     "sso_policy.waivers[0] (rule admins-named, group x): rule 'admins-named' is not the id of any rule (ids: admins-are-named)"),
    (dict(GOOD, waivers=[{'rule': 'admins-are-named', 'reason': 'r', 'expires': '2026-12-31'}]),
     'sso_policy.waivers[0] (rule admins-are-named): group is required'),
    (dict(GOOD, waivers=[{'rule': 'admins-are-named', 'group': 'x', 'reason': 'r', 'expires': '2026-12-31', 'until': 'x'}]),
     "sso_policy.waivers[0] (rule admins-are-named, group x): unknown key 'until'"),
])
def test_a_malformed_policy_names_the_rule_or_waiver_and_the_key(policy, problem):
    problems = policy_problems(policy, TODAY)
    assert any(p.startswith(problem) for p in problems), problems
    with pytest.raises(AnsibleFilterError, match='the access policy is malformed'):
        evaluate(review(), policy, today=TODAY)


def test_a_good_policy_has_no_problem():
    assert policy_problems(GOOD, TODAY) == []
    # 366 days ahead is the limit, a YAML date is a date, and a tier may be defined and used.
    last = dict(GOOD, waivers=[dict(GOOD['waivers'][0], expires=datetime.date(2027, 3, 2))])
    assert policy_problems(last, TODAY) == []
    tiered = {'tiers': {'readers': {'atlas': 'ORG_READ_ONLY'}}, 'rules': [
        {'id': 'a-1', 'kind': 'min_groups', 'grants': {'tier': ['readers', 'admin']}, 'min': '1', 'severity': 'info', 'enforce': False},
        {'id': 'b', 'kind': 'exclusive', 'grants': {'tier': 'admin'}, 'other': {'role': 'DeveloperRead', 'scope': 'crn://.*'}}]}
    assert policy_problems(tiered, TODAY) == []
    assert policy_problems({'rules': []}, TODAY) == []


def test_every_problem_is_reported_at_once():
    policy = {'rules': [{'id': 'a', 'kind': 'nope'}, {'id': 'B', 'kind': 'max_groups'}],
              'waivers': [{'rule': 'c', 'group': 'g', 'reason': 'r', 'expires': '2030-01-01'}, {'rule': 'a'}]}
    problems = policy_problems(policy, TODAY)
    expected = [
        'sso_policy.rules[0] (a): kind must be one of allowed_groups',
        'sso_policy.waivers[1] (rule a): expires is required',
        'sso_policy.waivers[1] (rule a): group is required',
        'sso_policy.waivers[1] (rule a): reason is required',
        'sso_policy.rules[1] (B): id must be lower-case letters',
        'sso_policy.rules[1] (B): a rule of kind max_groups needs max',
        "sso_policy.waivers[0] (rule c, group g): rule 'c' is not the id of any rule",
        'sso_policy.waivers[0] (rule c, group g): expires 2030-01-01 is more than 366 days']
    assert len(problems) == len(expected) and all(p.startswith(e) for p, e in zip(problems, expected, strict=True)), problems


def test_the_benchmark_evaluates_every_kind_and_every_format():
    """benchmarks/policy.py at a small size: what it times is a real evaluation, whose every rule kind finds something."""
    path = Path(__file__).resolve().parents[4] / 'benchmarks' / 'policy.py'
    spec = importlib.util.spec_from_file_location('policy_benchmark', path)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    figures, report, grants = benchmark.measure(grants=600, repeat=1)
    assert sorted(figures) == ['JUnit XML', 'Markdown', 'SARIF', 'check the policy', 'evaluate']
    assert grants == 640 and len(report['rules']) == 10
    assert set(f['kind'] for f in report['findings']) >= {'allowed_groups', 'forbidden', 'match_everyone', 'max_platforms', 'exclusive',
                                                          'owner_required'}
    assert report['summary']['waived'] > 0 and set(w['why'] for w in report['stale_waivers']) == {'expired', 'unused'}
    # The policy of the apply playbook's runs (--policy N): ten rules of all eight kinds, well-formed.
    rules = benchmark.apply_policy((benchmark.TODAY + datetime.timedelta(days=90)).isoformat())
    assert policy_problems(rules, benchmark.TODAY) == [] and len(rules['rules']) == 10
    assert len(set(r['kind'] for r in rules['rules'])) == 8


def test_the_policy_that_docs_policy_md_offers_to_start_from_is_good():
    text = (Path(__file__).resolve().parents[4] / 'docs' / 'policy.md').read_text(encoding='utf-8')
    block = text.split('```yaml\n', 1)[1].split('```', 1)[0]
    offered = yaml.safe_load(block)['sso_policy']
    assert policy_problems(offered, datetime.date(2026, 6, 1)) == []
    report = evaluate(review(), offered, today=datetime.date(2026, 6, 1))
    assert [r['id'] for r in report['rules']] == ['admins-are-named', 'no-match-everyone', 'an-organization-admin',
                                                  'an-organization-owner', 'admin-of-one-platform']
    assert found(report, 'rule', 'group', 'host') == [
        ('admins-are-named', 'eng', A), ('no-match-everyone', '', C), ('no-match-everyone', '', C), ('no-match-everyone', 'everyone', L),
        ('admin-of-one-platform', 'platform-admins', '')]
    assert report['findings'][-1]['status'] == 'waived' and report['stale_waivers'] == []
