# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Templates of one's own for the pages the audit and review playbooks write, run as collection playbooks against the
emulator: the variables reach the filters, the templates extend the shipped ones by name, values stay escaped."""

from __future__ import annotations

import yaml

from integration.playbook_support import ARIA_HOST, ATLAS_HOST, CONFLUENT_HOST, DOMAIN, api_writes, inventory

SCRIPT = '<script>alert(1)</script>'


def test_the_audit_writes_its_drift_report_from_a_template_of_ones_own(ansible, emulator, tmp_path):
    desired = {CONFLUENT_HOST: {'confluent_group_mappings': [{'display_name': 'eng', 'filter': '"eng" in groups',
                                                              'description': SCRIPT}]}}
    mine = tmp_path / 'templates' / 'drift.md.j2'
    mine.parent.mkdir()
    mine.write_text('# Our drift report\n\n{% for host in hosts %}- {{ host.host }}: {{ host.status_label }}\n'
                    '{% for row in host.rows %}  - {{ row.key }} {{ row.field }}: {{ row.desired }}\n{% endfor %}{% endfor %}\n'
                    '{% include "drift-report.md.j2" %}', encoding='utf-8')
    report_dir = tmp_path / 'audit'
    ansible.run(playbook='sso.mappings.audit', inventory=inventory(emulator, desired),
                extra_vars={'audit_report_dir': str(report_dir), 'audit_markdown_template': str(mine)}).assert_ok()
    assert api_writes(emulator) == []
    text = (report_dir / 'drift-report.md').read_text(encoding='utf-8')
    assert text.startswith('# Our drift report\n\n- %s: in sync\n- %s: in sync\n- %s: drift\n' % (ARIA_HOST, ATLAS_HOST, CONFLUENT_HOST))
    assert '  - eng description: &lt;script&gt;alert(1)&lt;/script&gt;\n' in text
    # The shipped report, included by name, follows.
    assert '# SSO mappings drift report' in text and '| eng | create | description | - | &lt;script&gt;alert(1)&lt;/script&gt; |' in text
    assert SCRIPT not in text


def test_the_review_writes_its_pages_from_templates_of_ones_own(ansible, emulator, tmp_path):
    emulator.client.seed('aria', groups=[{'displayName': SCRIPT, 'domain': DOMAIN, 'mappedRoles': ['LCM Admin']}])
    templates = tmp_path / 'templates'
    templates.mkdir()
    (templates / 'review.html.j2').write_text(
        '{% extends "access-review.html.j2" %}{% block footer %}<footer id="ours">{{ groups | length }} group: '
        '{{ groups[0].group }}</footer>{% endblock %}', encoding='utf-8')
    (templates / 'review.md.j2').write_text('{% for group in groups %}* {{ group.group }}\n{% endfor %}', encoding='utf-8')
    (templates / 'policy.md.j2').write_text('Violations: {{ summary.violations }}\n{% for f in findings %}* {{ f.group }}\n{% endfor %}',
                                            encoding='utf-8')
    hosts = yaml.safe_load(inventory(emulator, {}))
    hosts['all'] = {'vars': {'sso_policy': {'rules': [{'id': 'admins-are-named', 'kind': 'allowed_groups',
                                                       'grants': {'tier': 'admin'}, 'groups': ['.*-admins']}]}}}
    report_dir = tmp_path / 'review'
    ansible.run(playbook='sso.mappings.review', inventory=yaml.safe_dump(hosts), extra_vars={
        'review_report_dir': str(report_dir), 'review_html_template': str(templates / 'review.html.j2'),
        'review_markdown_template': str(templates / 'review.md.j2'),
        'policy_markdown_template': str(templates / 'policy.md.j2')}).assert_ok()
    html = (report_dir / 'access-review.html').read_text(encoding='utf-8')
    assert '<footer id="ours">1 group: &lt;script&gt;alert(1)&lt;/script&gt;</footer>' in html
    assert html.count('<script>') == 1 and 'Content-Security-Policy' in html  # the shipped page, its own script only
    assert (report_dir / 'access-review.md').read_text(encoding='utf-8') == '* &lt;script&gt;alert(1)&lt;/script&gt;\n'
    assert (report_dir / 'policy-report.md').read_text(encoding='utf-8') == 'Violations: 1\n* &lt;script&gt;alert(1)&lt;/script&gt;\n'
