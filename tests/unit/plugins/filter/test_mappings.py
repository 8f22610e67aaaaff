# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report filters of the playbooks: drift entries, item checks, summaries, Markdown and export."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sso.mappings.plugins.filter import mappings as filters

ENG = {'id': 'group-1', 'display_name': 'eng', 'description': '', 'filter': 'a', 'principal': 'User:group-1',
       'status': 'ENABLED'}


def result(*changes, summary=None, changed=None):
    return {'changed': bool(changes) if changed is None else changed, 'changes': list(changes),
            'summary': summary or {'created': 0, 'updated': 0, 'deleted': 0, 'unchanged': 0}}


def test_filters_are_registered():
    assert sorted(filters.FilterModule().filters()) == [
        'approved_plan', 'drift_markdown', 'drift_report', 'mapping_drift', 'mapping_export', 'mapping_failure',
        'mapping_problems', 'mapping_summary', 'mapping_target']


def test_drift_lists_only_the_changed_fields_of_an_update():
    after = dict(ENG, filter='b', description='Engineers')
    entry = filters.mapping_drift(result({'action': 'update', 'key': 'eng', 'before': ENG, 'after': after},
                                         summary={'created': 0, 'updated': 1, 'deleted': 0, 'unchanged': 4}),
                                  'confluent')
    assert entry == {'provider': 'confluent', 'status': 'drift',
                     'summary': {'created': 0, 'updated': 1, 'deleted': 0, 'unchanged': 4},
                     'changes': [{'key': 'eng', 'action': 'update', 'fields': {
                         'description': {'before': '', 'after': 'Engineers'}, 'filter': {'before': 'a', 'after': 'b'}}}]}


def test_drift_of_a_create_and_a_delete_lists_every_field_on_one_side():
    entry = filters.mapping_drift(result(
        {'action': 'delete', 'key': 'old', 'before': {'vmid': 'v1', 'display_name': 'old', 'domain': 'd'}, 'after': {}},
        {'action': 'create', 'key': 'new@d', 'before': {}, 'after': {'display_name': 'new', 'domain': 'd',
                                                                     'mapped_roles': ['LCM Admin']}}), 'aria')
    assert [(c['action'], c['key']) for c in entry['changes']] == [('create', 'new@d'), ('delete', 'old')]
    assert entry['changes'][0]['fields']['mapped_roles'] == {'before': None, 'after': ['LCM Admin']}
    assert entry['changes'][1]['fields']['vmid'] == {'before': 'v1', 'after': None}


def test_status_names_in_check_mode_and_in_a_real_run():
    assert filters.mapping_drift(result(), 'atlas')['status'] == 'in_sync'
    assert filters.mapping_drift(result(), 'atlas', check_mode=False)['status'] == 'unchanged'
    change = {'action': 'create', 'key': 'g', 'before': {}, 'after': {'external_group_name': 'g'}}
    assert filters.mapping_drift(result(change), 'atlas', check_mode=False)['status'] == 'changed'


def test_the_entry_carries_the_plan_fingerprint():
    fingerprint = 'ab' * 32
    assert filters.mapping_drift(dict(result(), plan_fingerprint=fingerprint), 'aria')['plan_fingerprint'] == fingerprint
    failed = filters.mapping_drift({'failed': True, 'msg': 'refused', 'plan_fingerprint': fingerprint}, 'aria')
    assert 'plan_fingerprint' not in failed  # a plan that was refused is not one to approve


def test_the_approved_plan_of_a_host():
    plans = {'org-a': 'ab' * 32, 'org-b': None}
    assert filters.approved_plan(plans, 'org-a') == 'ab' * 32
    assert filters.approved_plan('{"org-a":"%s"}' % ('cd' * 32), 'org-a') == 'cd' * 32  # -e name=<JSON text>
    with pytest.raises(AnsibleFilterError, match=r'org-b has no approved plan in sso_mappings_approved_plans '
                                                 r'\(hosts with a plan: org-a\), so nothing is written to it'):
        filters.approved_plan(plans, 'org-b')
    with pytest.raises(AnsibleFilterError, match=r'org-c has no approved plan .*\(no host has a plan\)'):
        filters.approved_plan({}, 'org-c')
    for bad, said in ((['org-a'], 'a list'), ('{"org-a": ', 'text that is not a JSON dictionary'), (None, 'null'),
                      ('"org-a"', 'text that is not a JSON dictionary')):
        with pytest.raises(AnsibleFilterError, match='must be a dictionary of host name to plan_fingerprint.*got %s' % said):
            filters.approved_plan(bad, 'org-a')


def test_a_failed_result_gives_a_failed_entry():
    entry = filters.mapping_drift({'failed': True, 'msg': 'Atlas: HTTP 401'}, 'atlas')
    assert entry == {'provider': 'atlas', 'status': 'failed', 'error': 'Atlas: HTTP 401', 'summary': {}, 'changes': []}


def test_an_unknown_provider_is_refused():
    with pytest.raises(AnsibleFilterError, match='unknown provider'):
        filters.mapping_drift(result(), 'okta')


def test_problems_name_the_variable_the_item_and_the_key():
    problems = filters.mapping_problems([
        {'display_name': 'fine', 'filter': 'x'},
        {'display_name': 'typo', 'filtr': 'x'},
        {'display_name': 'listed', 'description': ['a']},
        {'display_name': 'bound', 'role_bindings': [{'role_name': 'EnvironmentAdmin'}]},
        'not-a-dict',
        {'display_name': 'gone', 'state': 'deleted'},
    ], 'confluent')
    assert problems[0].startswith("confluent_group_mappings[1] (typo): unknown key 'filtr' (valid keys: description,")
    assert problems[1] == 'confluent_group_mappings[2] (listed): description must be a string, got a list'
    assert problems[2] == 'confluent_group_mappings[3] (bound).role_bindings[0]: crn_pattern is required'
    assert problems[3] == 'confluent_group_mappings[4] must be a dictionary, got a string'
    assert problems[4] == "confluent_group_mappings[5] (gone): state must be one of present, absent, got 'deleted'"
    assert len(problems) == 5


def test_problems_of_nested_options_and_element_types():
    # 'no' is a boolean to Ansible, and so to the module: a role variable accepts what the module accepts.
    assert filters.mapping_problems([{'display_name': 'g', 'domain': 'd', 'is_disabled': 'no'}], 'aria') == []
    assert filters.mapping_problems([{'display_name': 'g', 'domain': 'd', 'is_disabled': 'perhaps',
                                      'group_metadata': {'dn': 'x'}, 'mapped_roles': ['LCM Admin', ['x']]}], 'aria') == [
        "aria_group_mappings[0] (g@d).group_metadata: unknown key 'dn' (valid keys: additional_meta, "
        "distinguished_name, external_id)",
        'aria_group_mappings[0] (g@d): is_disabled must be a boolean (true or false), got a string',
        'aria_group_mappings[0] (g@d).mapped_roles[1] must be a string, got a list',
    ]
    assert filters.mapping_problems([{'external_group_name': 'g', 'role_assignments': [{'role': 'ORG_OWNER'}]}],
                                    'atlas') == []
    assert filters.mapping_problems([{'role_assignments': []}], 'atlas') == [
        'atlas_role_mappings[0]: external_group_name is required']
    assert filters.mapping_problems({'a': 1}, 'atlas') == ['atlas_role_mappings must be a list of mappings, got a dictionary']
    assert filters.mapping_problems(None, 'aria') == []


def test_the_target_of_a_host_is_its_one_provider_group():
    assert filters.mapping_target(['all', 'atlas', 'prod'], 'org-1') == {
        'provider': 'atlas', 'role': 'sso.mappings.atlas', 'variable': 'atlas_role_mappings'}
    with pytest.raises(AnsibleFilterError, match='org-1 is in the groups confluent, aria; .* exactly one'):
        filters.mapping_target(['aria', 'confluent'], 'org-1')
    with pytest.raises(AnsibleFilterError, match='none of them'):
        filters.mapping_target(['ungrouped'], 'org-1')
    assert filters.mapping_failure({'msg': 'no target'}, None)['provider'] is None


def test_a_validation_failure_names_the_items():
    failed = {'failed': True, 'msg': 'Validation of arguments failed:\nconfluent_group_mappings.filtr. Supported ...',
              'argument_errors': ['confluent_group_mappings.filtr. Supported ...']}
    entry = filters.mapping_failure(failed, 'confluent', [{'display_name': 'typo', 'filtr': 'x'}])
    assert entry['status'] == 'failed'
    assert entry['error'].splitlines()[0] == 'Validation of arguments failed:'
    assert "confluent_group_mappings[0] (typo): unknown key 'filtr'" in entry['error']
    assert filters.mapping_failure({'msg': 'boom'}, 'aria', [{'typo': 1}])['error'] == 'boom'


def test_summary_lines():
    change = {'action': 'create', 'key': 'eng', 'before': {}, 'after': {'display_name': 'eng'}}
    applied = filters.mapping_drift(result(change, summary={'created': 1, 'updated': 0, 'deleted': 0, 'unchanged': 2}),
                                    'confluent', check_mode=False)
    assert filters.mapping_summary(applied, 'org') == (
        'org [confluent]: changed (created 1, updated 0, deleted 0, unchanged 2): create eng')
    planned = filters.mapping_drift(result(change, summary={'created': 1, 'updated': 0, 'deleted': 0, 'unchanged': 2}),
                                    'confluent')
    assert filters.mapping_summary(planned, 'org') == (
        'org [confluent]: drift (to create 1, to update 0, to delete 0, unchanged 2): create eng')
    failed = filters.mapping_failure({'msg': 'Aria: HTTP 401\nsecond line'}, 'aria')
    assert filters.mapping_summary(failed, 'lcm') == 'lcm [aria]: FAILED: Aria: HTTP 401 | second line'


def test_report_and_markdown():
    entries = {
        'b-org': filters.mapping_drift(result({'action': 'update', 'key': 'a|b', 'before': {'filter': 'x'},
                                               'after': {'filter': 'y | z'}}), 'confluent'),
        'a-org': filters.mapping_drift(result(), 'atlas'),
        'c-lcm': filters.mapping_failure({'msg': 'Aria: HTTP 401'}, 'aria'),
    }
    report = filters.drift_report(entries)
    assert report['drifted'] is True
    assert report['totals'] == {'hosts': 3, 'in_sync': 1, 'drift': 1, 'failed': 1}
    assert list(report['hosts']) == ['a-org', 'b-org', 'c-lcm']
    markdown = filters.drift_markdown(report)
    assert 'Hosts: 3, in sync: 1, drifted: 1, failed: 1.' in markdown
    assert '## a-org (atlas): in sync\n\nTo create: 0, to update: 0, to delete: 0, unchanged: 0.\n\nNo drift.' in markdown
    assert '| a\\|b | update | filter | x | y \\| z |' in markdown
    assert '## c-lcm (aria): audit failed' in markdown and '    Aria: HTTP 401' in markdown
    assert markdown.index('## a-org') < markdown.index('## b-org') < markdown.index('## c-lcm')
    assert filters.drift_report({})['drifted'] is False
    assert '## Access policy' not in markdown

    # With the access policy's findings on the planned state (the audit adds them), escaped as Markdown.
    finding = {'rule': 'admins-are-named', 'severity': 'critical', 'status': 'violation', 'enforce': True, 'group': 'eng|<b>',
               'host': 'b-org', 'mapping': 'eng', 'role': 'OrganizationAdmin', 'scope': 'crn://x', 'message': 'not allowed'}
    summary = {'violations': 1, 'enforced': 1, 'waived': 0, 'stale_waivers': 0, 'unread_targets': 0}
    markdown = filters.drift_markdown(dict(report, policy={'summary': summary, 'findings': [finding], 'stale_waivers': []}))
    assert 'Violations: 1, enforced: 1, waived: 0, stale waivers: 0, targets not planned: 0.' in markdown
    assert '| admins-are-named | critical | violation | eng\\|&lt;b&gt; | b-org | eng | OrganizationAdmin |' in markdown


def test_export_drops_read_only_fields_and_sorts():
    live = [dict(ENG, display_name='zeta', role_bindings=[]), ENG]
    assert filters.mapping_export(live, 'confluent') == [
        {'description': '', 'display_name': 'eng', 'filter': 'a'},
        {'description': '', 'display_name': 'zeta', 'filter': 'a', 'role_bindings': []}]
    assert filters.mapping_export([{'vmid': 'v', 'display_name': 'g', 'domain': 'd', 'mapped_roles': []}], 'aria') == [
        {'display_name': 'g', 'domain': 'd', 'mapped_roles': []}]
    assert filters.mapping_export([{'id': 'x', 'external_group_name': 'g', 'role_assignments': []}], 'atlas') == [
        {'external_group_name': 'g', 'role_assignments': []}]
    with pytest.raises(AnsibleFilterError):
        filters.mapping_export(['x'], 'atlas')
