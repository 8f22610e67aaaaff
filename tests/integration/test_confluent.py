# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Confluent group mapping modules, run by real ansible-playbook processes against the emulator."""

from __future__ import annotations

import json

import pytest

from emulator.client import start_emulator
from emulator.confluent import DEFAULT_CREDENTIALS

SET = 'sso.mappings.confluent_group_mappings'
ONE = 'sso.mappings.confluent_group_mapping'
INFO = 'sso.mappings.confluent_group_mapping_info'
LIST_PATH = '/iam/v2/sso/group-mappings'


def mapping(name, claim=None, description=''):
    return {'display_name': name, 'filter': '"%s" in claims.groups' % (claim or name), 'description': description}


def task(module, name='task', **options):
    return {'name': name, module: options, 'register': 'out'}


def list_requests(requests):
    return [r for r in requests if r['method'] == 'GET' and r['path'] == LIST_PATH]


def names(emulator):
    return sorted(m['display_name'] for m in emulator.client.state('confluent')['group_mappings'])


def test_create_then_second_run_changes_nothing_and_writes_nothing(ansible, emulator, confluent_connection):
    desired = [mapping('engineering'), mapping('operations', description='Ops team')]
    first = ansible.run([task(SET, mappings=desired, **confluent_connection)]).assert_ok()
    result = first.task('task')
    assert result['changed'] is True
    assert result['summary'] == {'created': 2, 'updated': 0, 'deleted': 0, 'unchanged': 0}
    assert [c['key'] for c in result['changes']] == ['engineering', 'operations']
    assert names(emulator) == ['engineering', 'operations']
    stored = {m['display_name']: m for m in emulator.client.state('confluent')['group_mappings']}
    assert stored['operations']['description'] == 'Ops team'
    returned = {m['display_name']: m for m in result['mappings']}
    assert returned['engineering']['id'] == stored['engineering']['id']
    assert returned['engineering']['status'] == 'ENABLED'

    emulator.client.clear_requests()
    second = ansible.run([task(SET, mappings=desired, **confluent_connection)]).assert_ok()
    assert second.task('task')['changed'] is False
    assert second.task('task')['summary']['unchanged'] == 2
    assert emulator.client.writes() == []


def test_check_mode_plans_everything_and_writes_nothing(ansible, emulator, confluent_connection):
    emulator.client.seed('confluent', group_mappings=[mapping('stale'), mapping('keep', claim='old')])
    desired = [mapping('keep'), mapping('new')]
    checked = ansible.run([task(SET, mappings=desired, purge=True, **confluent_connection)], check=True, diff=True)
    checked.assert_ok()
    plan = checked.task('task')
    assert plan['changed'] is True
    assert sorted((c['action'], c['key']) for c in plan['changes']) == [
        ('create', 'new'), ('delete', 'stale'), ('update', 'keep')]
    assert emulator.client.writes() == []
    assert names(emulator) == ['keep', 'stale']

    real = ansible.run([task(SET, mappings=desired, purge=True, **confluent_connection)], diff=True).assert_ok()
    applied = real.task('task')
    assert applied['summary'] == plan['summary']
    assert applied['changes'] == plan['changes']
    assert applied['diff'] == plan['diff']
    assert names(emulator) == ['keep', 'new']


@pytest.mark.parametrize('check', [True, False], ids=['check-mode', 'real-run'])
def test_diff_is_the_mapping_itself_before_and_after(ansible, emulator, confluent_connection, check):
    seeded = emulator.client.seed('confluent', group_mappings=[mapping('eng'), mapping('old')])['group_mappings']
    run = ansible.run([task(ONE, name='update', display_name='eng', filter='"engineering" in claims.groups',
                            **confluent_connection),
                       task(ONE, name='create', **dict(mapping('new'), **confluent_connection)),
                       task(ONE, name='delete', display_name='old', state='absent', **confluent_connection),
                       task(ONE, name='gone', display_name='never-was', state='absent', **confluent_connection)],
                      diff=True, check=check).assert_ok()
    before = {'id': seeded[0]['id'], 'display_name': 'eng', 'description': '', 'filter': '"eng" in claims.groups',
              'principal': seeded[0]['principal'], 'status': 'ENABLED'}
    assert run.task('update')['diff'] == {'before': before, 'after': dict(before, filter='"engineering" in claims.groups')}
    assert run.task('create')['diff'] == {'before': {}, 'after': {
        'display_name': 'new', 'description': '', 'filter': '"new" in claims.groups'}}
    deleted = run.task('delete')['diff']
    assert deleted['after'] == {} and deleted['before']['id'] == seeded[1]['id']
    assert run.task('gone')['diff'] == {'before': {}, 'after': {}}
    assert '+    "filter": "\\"engineering\\" in claims.groups"' in run.stdout


def test_update_sends_only_the_changed_fields(ansible, emulator, confluent_connection):
    seeded = emulator.client.seed('confluent', group_mappings=[mapping('eng', description='Engineers')])
    mapping_id = seeded['group_mappings'][0]['id']
    run = ansible.run([task(ONE, display_name='eng', filter='"platform" in claims.groups', description='Engineers',
                            **confluent_connection)]).assert_ok()
    assert run.task('task')['changed'] is True
    assert run.task('task')['mapping']['filter'] == '"platform" in claims.groups'
    writes = emulator.client.writes()
    assert [(w['method'], w['path']) for w in writes] == [('PATCH', '%s/%s' % (LIST_PATH, mapping_id))]
    assert writes[0]['body'] == {'filter': '"platform" in claims.groups'}


def test_rename_by_id(ansible, emulator, confluent_connection):
    seeded = emulator.client.seed('confluent', group_mappings=[mapping('eng')])['group_mappings'][0]
    run = ansible.run([task(ONE, id=seeded['id'], display_name='engineering', **confluent_connection)]).assert_ok()
    assert run.task('task')['changes'][0]['action'] == 'update'
    assert emulator.client.writes()[0]['body'] == {'display_name': 'engineering'}
    assert names(emulator) == ['engineering']


def test_absent_twice(ansible, emulator, confluent_connection):
    emulator.client.seed('confluent', group_mappings=[mapping('gone'), mapping('stays')])
    first = ansible.run([task(ONE, display_name='gone', state='absent', **confluent_connection)]).assert_ok()
    assert first.task('task')['changed'] is True
    assert first.task('task')['mapping'] == {}
    assert names(emulator) == ['stays']
    emulator.client.clear_requests()
    second = ansible.run([task(ONE, display_name='gone', state='absent', **confluent_connection)]).assert_ok()
    assert second.task('task')['changed'] is False
    assert emulator.client.writes() == []


def test_duplicate_display_name_fails_listing_both_ids_and_writes_nothing(ansible, emulator, confluent_connection):
    seeded = emulator.client.seed('confluent', group_mappings=[mapping('twin'), mapping('twin', claim='other')])
    ids = sorted(m['id'] for m in seeded['group_mappings'])
    run = ansible.run([task(SET, mappings=[mapping('twin'), mapping('new')], **confluent_connection)])
    assert run.rc != 0
    message = run.task('task')['msg']
    assert ids[0] in message and ids[1] in message
    assert emulator.client.writes() == []


def test_250_mappings_are_all_read_in_three_pages(ansible, emulator, confluent_connection):
    seeded = [mapping('group-%03d' % n) for n in range(250)]
    emulator.client.seed('confluent', group_mappings=seeded)
    run = ansible.run([task(SET, mappings=seeded, **confluent_connection),
                       task(INFO, name='info', **confluent_connection)]).assert_ok()
    assert run.task('task')['changed'] is False
    assert run.task('task')['summary']['unchanged'] == 250
    assert len(run.task('info')['mappings']) == 250
    requests = emulator.client.requests()
    assert emulator.client.writes() == []
    lists = list_requests(requests)
    assert len(lists) == 6  # three pages for the set module, three for the info module
    assert all(r['query'].get('page_size') == ['100'] for r in lists)


def test_purge_deletes_exactly_the_unlisted(ansible, emulator, confluent_connection):
    emulator.client.seed('confluent', group_mappings=[mapping(n) for n in ('a', 'b', 'c', 'd')])
    run = ansible.run([task(SET, mappings=[mapping('a'), mapping('c'), mapping('e')], purge=True,
                            **confluent_connection)]).assert_ok()
    result = run.task('task')
    assert sorted((c['action'], c['key']) for c in result['changes']) == [
        ('create', 'e'), ('delete', 'b'), ('delete', 'd')]
    assert names(emulator) == ['a', 'c', 'e']
    assert [m['display_name'] for m in result['mappings']] == ['a', 'c', 'e']


def test_without_purge_unlisted_mappings_stay(ansible, emulator, confluent_connection):
    emulator.client.seed('confluent', group_mappings=[mapping('a'), mapping('b')])
    ansible.run([task(SET, mappings=[mapping('a')], **confluent_connection)]).assert_ok()
    assert names(emulator) == ['a', 'b']
    assert emulator.client.writes() == []


def test_info_output_fed_back_changes_nothing(ansible, emulator, confluent_connection):
    emulator.client.seed('confluent', group_mappings=[mapping('a', description='A'), mapping('b')])
    run = ansible.run([
        {'name': 'info', INFO: dict(confluent_connection), 'register': 'info'},
        {'name': 'back', SET: dict(confluent_connection, mappings='{{ info.mappings }}', purge=True)},
        {'name': 'one', INFO: dict(confluent_connection, display_name='b')},
    ]).assert_ok()
    assert run.task('back')['changed'] is False
    assert [m['display_name'] for m in run.task('one')['mappings']] == ['b']
    assert emulator.client.writes() == []


def test_429_and_5xx_are_survived(ansible, emulator, confluent_connection):
    emulator.client.fault({'type': 'status', 'status': 429, 'retry_after': 1}, match={'method': 'GET'}, count=1)
    emulator.client.fault({'type': 'status', 'status': 503}, match={'method': 'POST'}, count=2)
    emulator.client.fault({'type': 'status', 'status': 500}, match={'method': 'POST'}, count=1)
    run = ansible.run([task(SET, mappings=[mapping('a'), mapping('b')], **confluent_connection)]).assert_ok()
    assert run.task('task')['summary']['created'] == 2
    assert names(emulator) == ['a', 'b']
    assert sum(1 for r in emulator.client.requests() if r['status'] in (429, 500, 503)) == 4


def test_a_lost_create_answer_leaves_exactly_one_mapping(ansible, emulator, confluent_connection):
    emulator.client.fault({'type': 'drop_after_apply'}, match={'method': 'POST'}, count=1)
    run = ansible.run([task(SET, mappings=[mapping('only-once')], **confluent_connection)]).assert_ok()
    assert names(emulator) == ['only-once']
    assert len([w for w in emulator.client.writes() if w['method'] == 'POST']) == 1
    assert run.task('task')['mappings'][0]['id']
    emulator.client.clear_requests()
    again = ansible.run([task(SET, mappings=[mapping('only-once')], **confluent_connection)]).assert_ok()
    assert again.task('task')['changed'] is False


def test_a_422_fails_after_one_request_with_the_vendor_message_and_request_id(ansible, emulator,
                                                                              confluent_connection):
    emulator.client.fault({'type': 'status', 'status': 422, 'code': 'invalid_filter',
                           'message': 'The filter is not valid CEL'}, match={'method': 'POST'})
    run = ansible.run([task(SET, mappings=[mapping('bad')], **confluent_connection)])
    assert run.rc != 0
    result = run.task('task')
    posts = [w for w in emulator.client.writes() if w['method'] == 'POST']
    assert len(posts) == 1
    for part in ('Confluent', "create group mapping 'bad'", 'HTTP 422', 'invalid_filter',
                 'The filter is not valid CEL', posts[0]['request_id']):
        assert part in result['msg']


@pytest.mark.parametrize('error_format', ['errors', 'envelope'])
def test_a_quota_reached_on_create_is_sent_once_named_and_the_other_items_go_on(ansible, emulator,
                                                                                confluent_connection, error_format):
    """An organization's group mappings are capped (the Confluent CLI's test server: 402 quota_exceeded)."""
    emulator.client.config(confluent={'group_mapping_quota': 3, 'error_format': error_format})
    emulator.client.seed('confluent', group_mappings=[mapping('old-1'), mapping('old-2'), mapping('stale')])
    desired = [mapping('old-1', description='changed'), mapping('old-2'), mapping('new-a'), mapping('new-b')]
    run = ansible.run([task(SET, mappings=desired, purge=True, **confluent_connection)])
    assert run.rc != 0
    result = run.task('task')
    # The purge frees one place: one create fits, the other is refused; the update and the delete went through.
    assert result['summary'] == {'created': 1, 'updated': 1, 'deleted': 1, 'unchanged': 1}
    assert names(emulator) == ['new-a', 'old-1', 'old-2']
    refused = [w for w in emulator.client.writes() if w['status'] == 402]
    assert [w['body']['display_name'] for w in refused] == ['new-b']  # sent once, not retried
    (failure,) = result['failures']
    assert (failure['key'], failure['status'], failure['error_code'], failure['attempts']) == (
        'new-b', 402, 'quota_exceeded', 1)
    for part in ("create group mapping 'new-b'", 'HTTP 402 quota_exceeded', 'Group mapping reached limit 3',
                 'quota of SSO group mappings', refused[0]['request_id'], '1 of 4 changes failed (3 applied)'):
        assert part in result['msg'], part


def test_newer_error_envelope_is_understood(ansible, emulator, confluent_connection):
    emulator.client.config(confluent={'error_format': 'envelope'})
    emulator.client.fault({'type': 'status', 'status': 422, 'code': 'invalid_filter', 'message': 'Bad CEL'},
                          match={'method': 'POST'})
    run = ansible.run([task(ONE, **dict(mapping('bad'), **confluent_connection))])
    assert run.rc != 0
    assert 'invalid_filter' in run.task('task')['msg'] and 'Bad CEL' in run.task('task')['msg']


def test_local_validation_fails_before_any_request(ansible, emulator, confluent_connection):
    run = ansible.run([task(SET, mappings=[mapping('ok'), {'display_name': 'blank', 'filter': '  '}],
                            **confluent_connection)])
    assert run.rc != 0
    assert 'mappings[1]' in run.task('task')['msg'] and 'must not be empty' in run.task('task')['msg']
    typo = ansible.run([task(SET, mappings=[dict(mapping('ok'), filtr='x')], **confluent_connection)])
    assert typo.rc != 0 and 'filtr' in typo.task('task')['msg']
    duplicate = ansible.run([task(SET, mappings=[mapping('same'), mapping('same')], **confluent_connection)])
    assert duplicate.rc != 0 and 'mappings[0] and mappings[1]' in duplicate.task('task')['msg']
    assert emulator.client.requests() == []


def test_a_long_filter_reaches_the_api_and_fails_with_its_message_after_one_attempt(ansible, tmp_path):
    """The 300-character limit is the tenant's (the spec's maxLength is its default), so the module sends the
    filter and reports the API's 422. The request is off the spec's letter, so a private emulator takes it."""
    with start_emulator(tmp_path / 'private') as private:
        (key, secret), = DEFAULT_CREDENTIALS['api_keys'].items()
        connection = {'base_url': private.https, 'ca_path': private.ca_file, 'api_key': key, 'api_secret': secret}
        run = ansible.run([dict(task(ONE, display_name='long', filter='x' * 301, **connection), ignore_errors=True)])
        message = run.assert_ok().task('task')['msg']
        for part in ("Confluent: create group mapping 'long' failed: HTTP 422", 'invalid_configuration',
                     "'/filter' must be at most 300 characters", 'request id'):
            assert part in message
        posts = [w for w in private.client.writes() if w['method'] == 'POST']
        assert [(len(w['body']['filter']), w['status']) for w in posts] == [(301, 422)]
        # A tenant whose limit Confluent raised takes it.
        private.client.config(confluent={'filter_max_length': 1000})
        ansible.run([task(ONE, display_name='long', filter='x' * 301, **connection)]).assert_ok()
        assert [len(m['filter']) for m in private.client.state('confluent')['group_mappings']] == [301]


def test_filter_required_to_create_fails_before_any_write(ansible, emulator, confluent_connection):
    run = ansible.run([task(SET, mappings=[mapping('a'), {'display_name': 'no-filter'}], **confluent_connection)])
    assert run.rc != 0
    assert 'filter is required' in run.task('task')['msg']
    assert emulator.client.writes() == []


def test_credentials_from_environment_variables(ansible, emulator):
    env = {'CONFLUENT_CLOUD_ENDPOINT': emulator.http, 'CONFLUENT_CLOUD_API_KEY': 'EMULATOR-KEY',
           'CONFLUENT_CLOUD_API_SECRET': 'emulator-secret'}
    run = ansible.run([task(SET, mappings=[mapping('from-env')])], env=env).assert_ok()
    assert run.task('task')['changed'] is True
    token_env = {'CONFLUENT_CLOUD_ENDPOINT': emulator.http, 'CONFLUENT_CLOUD_ACCESS_TOKEN': 'emulator-token'}
    token = ansible.run([task(INFO)], env=token_env).assert_ok()
    assert [m['display_name'] for m in token.task('task')['mappings']] == ['from-env']
    assert {r['headers'].get('authorization') for r in emulator.client.requests()} == {'Basic', 'Bearer'}


def test_conflicting_credentials_fail_before_any_request(ansible, emulator):
    run = ansible.run([task(INFO, base_url=emulator.http, api_key='key-1', api_secret='secret-1', access_token='token-1')])
    assert run.rc != 0 and 'conflicting credentials' in run.task('task')['msg']
    incomplete = ansible.run([task(INFO, base_url=emulator.http, api_key='key-1')])
    assert incomplete.rc != 0 and 'api_secret' in incomplete.task('task')['msg']
    assert emulator.client.requests() == []


def test_module_defaults_for_the_action_group(ansible, emulator, confluent_connection):
    run = ansible.run([task(SET, mappings=[mapping('a')]), task(ONE, name='one', display_name='a', filter='"a" in claims.groups'),
                       task(INFO, name='info')],
                      module_defaults={'group/sso.mappings.confluent': confluent_connection}).assert_ok()
    assert run.task('task')['changed'] is True
    assert run.task('one')['changed'] is False
    assert len(run.task('info')['mappings']) == 1


def test_tls_is_verified_by_default(ansible, emulator, confluent_connection):
    options = dict(confluent_connection)
    options.pop('ca_path')
    failed = ansible.run([task(INFO, **options)])
    assert failed.rc != 0
    assert 'ca_path' in failed.task('task')['msg'] and 'certificate' in failed.task('task')['msg']
    insecure = ansible.run([task(INFO, validate_certs=False, **options)]).assert_ok()
    assert any('verification is disabled' in w for w in insecure.task('task').get('warnings', []))


@pytest.mark.parametrize('fail', [False, True], ids=['success', 'failure'])
def test_no_secret_appears_in_any_output_at_vvvv(ansible, emulator, fail):
    key, secret, token = 'MARKER-KEY-7f3a9', 'MARKER-SECRET-c41d2', 'MARKER-TOKEN-99e0b'
    emulator.client.credentials('confluent', api_keys={key: secret}, access_tokens=[token])
    if fail:
        emulator.client.fault({'type': 'status', 'status': 422, 'code': 'invalid_filter', 'message': 'nope'},
                              match={'method': 'POST'})
    # As in real use the secrets come from variables (a vault): Ansible shows a failed task's source lines.
    secrets = {'key': key, 'secret': secret, 'token': token}
    tasks = [
        dict(task(SET, name='explicit', base_url=emulator.http, api_key='{{ key }}', api_secret='{{ secret }}',
                  mappings=[mapping('a'), mapping('b')]), ignore_errors=True),
        task(INFO, name='token', base_url=emulator.http, access_token='{{ token }}'),
        dict(task(INFO, name='rejected', base_url=emulator.http, access_token='{{ token }}-wrong'),
             ignore_errors=True),
    ]
    run = ansible.run(tasks, verbosity=4, diff=True, extra_vars=secrets).assert_ok()
    assert run.task('explicit').get('failed', False) is fail
    assert run.task('rejected')['failed'] and 'HTTP 401' in run.task('rejected')['msg']
    env_run = ansible.run([task(SET, name='env', mappings=[mapping('c')])], verbosity=4,
                          env={'CONFLUENT_CLOUD_ENDPOINT': emulator.http, 'CONFLUENT_CLOUD_API_KEY': key,
                               'CONFLUENT_CLOUD_API_SECRET': secret})
    assert (env_run.rc != 0) is fail
    for outcome in (run, env_run):
        everything = outcome.stdout + outcome.stderr + json.dumps(outcome.tasks)
        for marker in (secret, token):
            assert marker not in everything
        # The key is an identifier, but it is treated as a secret too.
        assert key not in everything
