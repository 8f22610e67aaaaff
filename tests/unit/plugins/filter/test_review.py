# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access review filters: joined by group, counted, and rendered as CSV, Markdown and HTML with every API value escaped."""

from __future__ import annotations

import base64
import csv
import datetime
import hashlib
import io
import os
import re
from html.parser import HTMLParser

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sso.mappings.plugins.filter import review

ORG = '5e2211c17a3e5a48f5497de3'
PROJECT = '6a1b2c3d4e5f60718293a4b5'
HIDDEN_PROJECT = '7c1b2c3d4e5f60718293a4b6'  # one these credentials cannot see: no name
CRN = 'crn://confluent.cloud/organization=1111aaaa-22bb-33cc-44dd-555555eeeeee'
SCRIPT = '<script>alert(1)</script>'
WHEN = '2025-05-01T12:00:00Z'


def binding(role, crn=CRN):
    return {'role_name': role, 'crn_pattern': crn}


def entries():
    return {
        'confluent-org': {'provider': 'confluent', 'status': 'ok', 'mappings': [
            {'id': 'group-1', 'display_name': 'platform', 'filter': '"eng" in groups || "ops" in claims.groups',
             'role_bindings': [binding('OrganizationAdmin'), binding('DeveloperRead', CRN + '/environment=env-1')]},
            {'id': 'group-2', 'display_name': 'odd', 'filter': 'claims.email.endsWith("@example.com")',
             'role_bindings': [binding('MetricsViewer')]},
            {'id': 'group-3', 'display_name': 'xss', 'filter': '"%s" in groups' % SCRIPT, 'role_bindings': []},
        ]},
        'atlas-org': {'provider': 'atlas', 'status': 'ok', 'projects': {PROJECT: 'data-platform'}, 'mappings': [
            {'id': 'm1', 'external_group_name': 'eng', 'role_assignments': [
                {'role': 'ORG_MEMBER', 'org_id': ORG}, {'role': 'GROUP_OWNER', 'project_id': PROJECT},
                {'role': 'GROUP_READ_ONLY', 'project_id': HIDDEN_PROJECT}]},
            {'id': 'm2', 'external_group_name': '=cmd|calc', 'role_assignments': [{'role': 'ORG_READ_ONLY', 'org_id': ORG}]},
            {'id': 'm3', 'external_group_name': 'Eng', 'role_assignments': [{'role': 'ORG_MEMBER', 'org_id': ORG}]},
        ]},
        'aria-lcm': {'provider': 'aria', 'status': 'ok', 'mappings': [
            {'vmid': 'v1', 'display_name': 'eng', 'domain': 'example.com', 'mapped_roles': ['LCM Admin', 'Content Developer']},
            {'vmid': 'v2', 'display_name': 'idle', 'domain': 'example.com', 'mapped_roles': []},
        ]},
        'aria-down': {'provider': 'aria', 'status': 'failed', 'error': 'Aria: list groups: HTTP 401', 'summary': {}, 'changes': []},
    }


def report():
    return review.access_review(entries(), generated_at=WHEN)


def grant(host, provider, mapping, role, scope):
    return {'host': host, 'provider': provider, 'mapping': mapping, 'role': role, 'scope': scope}


def rows(built):
    """Every (group, host, provider, mapping, role, scope) of a report."""
    found = [(g['group'],) + tuple(x[k] for k in review.CSV_HEADER[1:]) for g in built['groups'] for x in g['grants']]
    return found + [('',) + tuple(x[k] for k in review.CSV_HEADER[1:]) for u in built['unattributed'] for x in u['grants']]


def test_filters_are_registered():
    assert sorted(review.FilterModule().filters()) == [
        'access_review', 'access_review_csv', 'access_review_html', 'access_review_markdown', 'access_review_summary']


def test_the_review_joins_every_platform_by_group_and_sorts_it():
    built = report()
    assert list(built) == ['generated_at', 'targets', 'groups', 'unattributed']
    assert built['generated_at'] == WHEN
    assert built['targets'] == [
        {'host': 'aria-down', 'provider': 'aria', 'status': 'failed', 'error': 'Aria: list groups: HTTP 401'},
        {'host': 'aria-lcm', 'provider': 'aria', 'status': 'ok'},
        {'host': 'atlas-org', 'provider': 'atlas', 'status': 'ok'},
        {'host': 'confluent-org', 'provider': 'confluent', 'status': 'ok'}]
    groups = dict((g['group'], g['grants']) for g in built['groups'])
    # Sorted by name; names are joined exactly, so Eng and eng are two groups.
    assert list(groups) == [SCRIPT, '=cmd|calc', 'Eng', 'eng', 'idle', 'ops']
    assert groups['eng'] == [
        grant('confluent-org', 'confluent', 'platform', 'DeveloperRead', CRN + '/environment=env-1'),
        grant('confluent-org', 'confluent', 'platform', 'OrganizationAdmin', CRN),
        grant('atlas-org', 'atlas', 'eng', 'GROUP_OWNER', 'project:' + PROJECT),
        grant('atlas-org', 'atlas', 'eng', 'GROUP_READ_ONLY', 'project:' + HIDDEN_PROJECT),
        grant('atlas-org', 'atlas', 'eng', 'ORG_MEMBER', 'org:' + ORG),
        grant('aria-lcm', 'aria', 'eng@example.com', 'Content Developer', 'appliance'),
        grant('aria-lcm', 'aria', 'eng@example.com', 'LCM Admin', 'appliance')]
    # One Confluent mapping whose filter tests two groups grants to both.
    assert groups['ops'] == groups['eng'][:2]
    # A mapping that grants nothing still appears, with empty role and scope.
    assert groups['idle'] == [grant('aria-lcm', 'aria', 'idle@example.com', '', '')]
    assert groups[SCRIPT] == [grant('confluent-org', 'confluent', 'xss', '', '')]
    assert built['unattributed'] == [{'host': 'confluent-org', 'provider': 'confluent', 'mapping': 'odd',
                                      'filter': 'claims.email.endsWith("@example.com")',
                                      'grants': [grant('confluent-org', 'confluent', 'odd', 'MetricsViewer', CRN)]}]


def test_the_same_input_gives_the_same_review_in_any_order():
    shuffled = dict(reversed(list(entries().items())))
    for entry in shuffled.values():
        entry['mappings'] = list(reversed(entry.get('mappings') or []))
        for mapping in entry['mappings']:
            for field in ('role_bindings', 'role_assignments', 'mapped_roles'):
                if field in mapping:
                    mapping[field] = list(reversed(mapping[field])) * 2  # duplicates count once
    assert review.access_review(shuffled, generated_at=WHEN) == report()


def test_generated_at_defaults_to_now_in_rfc_3339_utc():
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', review.access_review({})['generated_at'])
    assert review.access_review({}, generated_at=WHEN) == {'generated_at': WHEN, 'targets': [], 'groups': [], 'unattributed': []}


def test_a_failed_entry_of_an_unknown_provider_is_a_failed_target_and_bad_input_is_refused():
    built = review.access_review({'twice': {'provider': None, 'status': 'failed', 'error': 'in two groups'},
                                  'bare': {'failed': True, 'msg': 'boom'}}, generated_at=WHEN)
    assert built['targets'] == [{'host': 'bare', 'provider': None, 'status': 'failed', 'error': 'boom'},
                                {'host': 'twice', 'provider': None, 'status': 'failed', 'error': 'in two groups'}]
    with pytest.raises(AnsibleFilterError, match='unknown provider'):
        review.access_review({'x': {'provider': 'okta', 'status': 'ok', 'mappings': []}})
    with pytest.raises(AnsibleFilterError, match='x: every mapping must be a dictionary'):
        review.access_review({'x': {'provider': 'aria', 'status': 'ok', 'mappings': ['eng']}})
    with pytest.raises(AnsibleFilterError, match='expected a dictionary'):
        review.access_review(['x'])


def test_the_summary_counts_rows_privileged_grants_and_targets():
    assert review.access_review_summary(report()) == {
        'targets': 4, 'failed_targets': 1, 'groups': 6,
        # eng 7 + ops 2 + Eng 1 + =cmd 1 + the unattributed one; the two empty ones grant nothing.
        'grants': 12,
        # OrganizationAdmin for eng and for ops, GROUP_OWNER, LCM Admin.
        'privileged_grants': 4, 'privileged_groups': 2,
        'mappings_granting_nothing': 2, 'unattributed': 1}
    assert review.access_review_summary({}) == {
        'targets': 0, 'failed_targets': 0, 'groups': 0, 'grants': 0, 'privileged_grants': 0, 'privileged_groups': 0,
        'mappings_granting_nothing': 0, 'unattributed': 0}


def test_the_privileged_roles_are_listed_once_per_platform():
    assert set(review.PRIVILEGED_ROLES) == set(review.PLATFORMS)
    assert review.is_privileged(grant('h', 'aria', 'm', 'LCM Cloud Admin', 'appliance'))
    assert not review.is_privileged(grant('h', 'atlas', 'm', 'LCM Cloud Admin', 'org:x'))
    assert not review.is_privileged(grant('h', 'confluent', 'm', 'CloudClusterAdmin', CRN))


def test_csv_has_one_row_per_grant_and_guards_against_formulas():
    text = review.access_review_csv(report())
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ['group', 'host', 'provider', 'mapping', 'role', 'scope']
    expected = [tuple("'" + v if v[:1] in ('=', '+', '-', '@') else v for v in row) for row in rows(report())]
    assert [tuple(row) for row in parsed[1:]] == expected
    assert ["'=cmd|calc", 'atlas-org', 'atlas', "'=cmd|calc", 'ORG_READ_ONLY', 'org:' + ORG] in parsed
    assert parsed[-1][0] == '' and parsed[-1][3] == 'odd'
    assert text.startswith('group,host,provider,mapping,role,scope\n')


@pytest.mark.parametrize('value, cell', [
    ('=1+1', "'=1+1"), ('+1', "'+1"), ('-1', "'-1"), ('@SUM(A1)', "'@SUM(A1)"), ('\tx', "'\tx"), ('\rx', "'\rx"),
    ('a=1', 'a=1'), ("'quoted", "'quoted"), ('', ''), ('comma, "quote"\nline', 'comma, "quote"\nline'),
])
def test_csv_cells(value, cell):
    built = review.access_review({'a': {'provider': 'atlas', 'status': 'ok', 'mappings': [
        {'external_group_name': value or 'x', 'role_assignments': [{'role': 'ORG_MEMBER', 'org_id': ORG}]}]}}, generated_at=WHEN)
    row = list(csv.reader(io.StringIO(review.access_review_csv(built))))[1]
    assert row[0] == (cell if value else 'x')


def test_markdown_shows_every_row_and_escapes_api_values():
    text = review.access_review_markdown(report(), {PROJECT: 'data-platform'})
    assert text.startswith('# SSO access review\n')
    assert WHEN in text
    assert '| 6 | 12 | 4 | 2 | 1 | 4 | 1 |' in text
    table = [line for line in text.split('## Access by identity-provider group')[1].split('\n## ')[0].splitlines()
             if line.startswith('| ') and not line.startswith('| Group')]
    assert len(table) == sum(len(g['grants']) for g in report()['groups'])
    assert ('| eng | MongoDB Atlas | atlas-org | eng | GROUP_OWNER **(privileged)** | project:%s (data-platform) |' % PROJECT) in table
    assert '| eng | MongoDB Atlas | atlas-org | eng | GROUP_READ_ONLY | project:%s |' % HIDDEN_PROJECT in table
    assert '| idle | Aria Suite Lifecycle | aria-lcm | idle@example.com | (grants nothing) |  |' in table
    assert '| =cmd\\|calc | MongoDB Atlas | atlas-org | =cmd\\|calc | ORG_READ_ONLY | org:%s |' % ORG in table
    assert '<script>' not in text and '&lt;script&gt;alert(1)&lt;/script&gt;' in text
    assert '## Targets that could not be read' in text and '| aria-down | Aria Suite Lifecycle | Aria: list groups: HTTP 401 |' in text
    assert '## Mappings that grant nothing' in text
    assert '| confluent-org | odd | claims.email.endsWith("@example.com") | MetricsViewer | %s |' % CRN in text


@pytest.mark.parametrize('value, shown', [
    ('a|b', 'a\\|b'), ('line\nbreak', 'line<br>break'), ('cr\r\nlf', 'cr<br>lf'), ('<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'),
    ('&amp;', '&amp;amp;'), ('*bold* _em_ `code` [link](x) ~~s~~', '\\*bold\\* \\_em\\_ \\`code\\` \\[link\\](x) \\~\\~s\\~\\~'),
    ('back\\slash', 'back\\\\slash'), ('GROUP_READ_ONLY', 'GROUP_READ_ONLY'),
])
def test_markdown_cells(value, shown):
    built = review.access_review({'a': {'provider': 'atlas', 'status': 'ok', 'mappings': [
        {'external_group_name': value, 'role_assignments': [{'role': 'ORG_MEMBER', 'org_id': ORG}]}]}}, generated_at=WHEN)
    assert '| %s | MongoDB Atlas | a | %s | ORG_MEMBER |' % (shown, shown) in review.access_review_markdown(built)


def test_markdown_of_an_empty_review():
    text = review.access_review_markdown(review.access_review({}, generated_at=WHEN))
    assert 'No mapping of a target that was read names an identity-provider group.' in text
    for section in ('## Targets that could not be read', '## Mappings that grant nothing', '## Confluent filters'):
        assert section not in text


class Page(HTMLParser):
    """What a browser would build: elements with their attributes, text, and the grants' data attributes."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.grants, self.scripts, self.styles = [], [], [], [], []
        self._in = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == 'li' and 'grant' in attrs.get('class', '').split():
            self.grants.append(tuple(attrs['data-' + k] for k in ('host', 'provider', 'mapping', 'role', 'scope')))
        self._in = tag if tag in ('script', 'style') else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == 'script':
            self.scripts.append(data)
        elif self._in == 'style':
            self.styles.append(data)
        else:
            self.text.append(data)


def sha256(source):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(source.encode('utf-8')).digest()).decode('ascii')


def test_html_is_one_self_contained_page_with_every_grant():
    built = report()
    text = review.access_review_html(built, {PROJECT: 'data-platform'})
    page = Page(text)
    assert text.startswith('<!DOCTYPE html>')
    # Nothing is loaded from elsewhere: no link, image, frame or source, no URL in the style.
    assert not [tag for tag, attrs in page.tags if tag in ('link', 'img', 'iframe', 'object', 'embed', 'source', 'base')]
    assert not [attrs for tag, attrs in page.tags if 'src' in attrs or 'href' in attrs]
    assert len(page.styles) == 1 and 'url(' not in page.styles[0] and '@import' not in page.styles[0]
    # One script, the page's own, and no event handler attribute anywhere.
    assert len(page.scripts) == 1 and not [a for tag, attrs in page.tags for a in attrs if a.startswith('on')]
    (csp,) = [attrs['content'] for tag, attrs in page.tags if tag == 'meta' and attrs.get('http-equiv') == 'Content-Security-Policy']
    assert csp.startswith("default-src 'none';")
    assert "style-src %s;" % sha256(page.styles[0]) in csp and "script-src %s;" % sha256(page.scripts[0]) in csp
    # The grants, attributed ones once per group, as in the JSON.
    attributed = sorted(tuple(g[k] for k in ('host', 'provider', 'mapping', 'role', 'scope'))
                        for group in built['groups'] for g in group['grants'])
    unattributed = [tuple(g[k] for k in ('host', 'provider', 'mapping', 'role', 'scope')) for u in built['unattributed'] for g in u['grants']]
    assert sorted(page.grants) == sorted(attributed + unattributed)
    words = ' '.join(page.text)
    assert SCRIPT in words and WHEN in text
    assert 'data-platform' in words and 'Aria domain example.com' in words
    assert 'Targets that could not be read' in words and 'Aria: list groups: HTTP 401' in words
    assert 'claims.email.endsWith("@example.com")' in words
    # Privileged grants: a class for the colour and a text marker.
    privileged = [attrs for tag, attrs in page.tags if tag == 'li' and 'privileged' in attrs.get('class', '')]
    assert sorted(a['data-role'] for a in privileged) == ['GROUP_OWNER', 'LCM Admin', 'OrganizationAdmin', 'OrganizationAdmin']
    assert words.count('privileged') >= 4


@pytest.mark.parametrize('value', [
    SCRIPT, '"><script>alert(1)</script>', "' onmouseover='alert(1)", '<img src=x onerror=alert(1)>',
    '</style><script>alert(1)</script>', '<!--', ']]>&lt;', 'javascript:alert(1)',
])
def test_html_shows_api_values_as_text_only(value):
    built = review.access_review({'x': {'provider': 'aria', 'status': 'ok', 'mappings': [
        {'display_name': value, 'domain': value, 'mapped_roles': [value]}]},
        'y': {'provider': 'atlas', 'status': 'failed', 'error': value}}, generated_at=value)
    page = Page(review.access_review_html(built, {value: value}))
    assert len(page.scripts) == 1 and len(page.styles) == 1
    assert not [a for tag, attrs in page.tags for a in attrs if a.startswith('on') or a in ('src', 'href')]
    assert [tag for tag, attrs in page.tags if tag == 'img'] == []
    assert page.grants == [('x', 'aria', '%s@%s' % (value, value), value, 'appliance')]
    assert value in ''.join(page.text)


def test_html_without_groups_says_so():
    page = Page(review.access_review_html(review.access_review({}, generated_at=WHEN)))
    assert 'No mapping of a target that was read names an identity-provider group.' in ' '.join(page.text)
    assert page.grants == []


# --- the pages' templates ------------------------------------------------------------------------

def test_the_pages_come_from_the_collections_templates():
    shipped = review._pages.TEMPLATES
    for name in ('access-review.html.j2', 'access-review.md.j2', 'access-review.css', 'access-review.js', 'drift-report.md.j2'):
        assert os.path.isfile(os.path.join(shipped, name)), name
    assert shipped.endswith(os.path.join('playbooks', 'templates'))
    # The page's style and script are the shipped files, and the policy lets exactly them run.
    page = Page(review.access_review_html(report()))
    with open(os.path.join(shipped, 'access-review.css'), encoding='utf-8') as style:
        assert page.styles == [style.read()]


def test_a_template_of_ones_own_is_rendered_with_every_value_escaped_for_its_format(tmp_path):
    html = tmp_path / 'mine.html.j2'
    html.write_text('<ul>{% for group in groups %}<li>{{ group.group }} {{ group.grants | length }}</li>{% endfor %}</ul>\n', encoding='utf-8')
    text = review.access_review_html(report(), template=str(html))
    assert text.startswith('<ul><li>&lt;script&gt;alert(1)&lt;/script&gt; 1</li>')
    assert '<script>' not in text
    markdown = tmp_path / 'mine.md.j2'
    markdown.write_text('{% for group in groups %}- **{{ group.group }}**\n{% endfor %}', encoding='utf-8')
    text = review.access_review_markdown(report(), template=str(markdown))
    assert '- **&lt;script&gt;alert(1)&lt;/script&gt;**\n- **=cmd\\|calc**\n' in text


def test_a_template_of_ones_own_can_extend_the_shipped_one(tmp_path):
    mine = tmp_path / 'access-review.html.j2'  # the shipped name: the shipped template is still the one extended
    (tmp_path / 'note.html').write_text('<p id="note">{{ summary.groups }} groups, reviewed by the security team</p>', encoding='utf-8')
    mine.write_text('{% extends "access-review.html.j2" %}{% block footer %}{% include "note.html" %}{% endblock %}', encoding='utf-8')
    text = review.access_review_html(report(), template=str(mine))
    page = Page(text)
    assert '6 groups, reviewed by the security team' in page.text
    assert 'Written by the' not in text
    assert len(page.grants) == len(rows(report()))


def test_a_template_that_cannot_be_read_or_fails_names_itself(tmp_path):
    with pytest.raises(AnsibleFilterError, match='cannot read the template .*missing.j2 for access-review.html'):
        review.access_review_html(report(), template=str(tmp_path / 'missing.j2'))
    broken = tmp_path / 'broken.j2'
    broken.write_text('{{ no_such_value.x }}', encoding='utf-8')
    with pytest.raises(AnsibleFilterError, match="the template .*broken.j2 for access-review.md failed: 'no_such_value' is undefined"):
        review.access_review_markdown(report(), template=str(broken))
    broken.write_text('{% for %}', encoding='utf-8')
    with pytest.raises(AnsibleFilterError, match=r'broken.j2 for access-review.html failed: .* \(line 1\)'):
        review.access_review_html(report(), template=str(broken))


def test_groups_declared_in_sso_groups_carry_their_owner_and_expiry_date():
    sso_groups = {'eng': {'owner': 'eng-leads@example.com', 'expires': datetime.date(2027, 6, 30), 'atlas': {}},
                  'ops': {'description': 'no owner'}, 'absent': {'owner': 'nobody@example.com'}, SCRIPT: {'owner': SCRIPT}}
    built = review.access_review(entries(), generated_at=WHEN, sso_groups=sso_groups)
    groups = dict((g['group'], g) for g in built['groups'])
    assert groups['eng']['owner'] == 'eng-leads@example.com' and groups['eng']['expires'] == '2027-06-30'
    assert list(groups['ops']) == ['group', 'grants'] and list(groups['idle']) == ['group', 'grants']
    assert 'absent' not in groups
    # Nothing else changes.
    assert [dict((k, g[k]) for k in ('group', 'grants')) for g in built['groups']] == report()['groups']
    markdown = review.access_review_markdown(built)
    assert '## Owners and expiry dates (sso_groups)' in markdown
    assert '| eng | eng-leads@example.com | 2027-06-30 |' in markdown
    assert '| &lt;script&gt;alert(1)&lt;/script&gt; | &lt;script&gt;alert(1)&lt;/script&gt; |  |' in markdown
    page = Page(review.access_review_html(built))
    owners = [attrs for tag, attrs in page.tags if tag == 'span' and attrs.get('class') == 'owner']
    assert len(owners) == 2 and 'Owner eng-leads@example.com' in page.text and 'Expires 2027-06-30' in page.text
    assert '## Owners' not in review.access_review_markdown(report())


def test_an_aria_groups_type_is_carried_on_its_grants():
    built = review.access_review({'lcm': {'provider': 'aria', 'status': 'ok', 'mappings': [
        {'display_name': 'all', 'domain': 'example.com', 'group_type': 'ALL_USERS', 'mapped_roles': ['LCM Admin']},
        {'display_name': 'eng', 'domain': 'example.com', 'mapped_roles': ['Content Developer']}]}}, generated_at=WHEN)
    assert built['groups'][0]['grants'] == [dict(grant('lcm', 'aria', 'all@example.com', 'LCM Admin', 'appliance'), group_type='ALL_USERS')]
    assert built['groups'][1]['grants'] == [grant('lcm', 'aria', 'eng@example.com', 'Content Developer', 'appliance')]
