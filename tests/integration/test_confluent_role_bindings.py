# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role bindings of Confluent group mappings, run by real ansible-playbook processes against the emulator."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from urllib.parse import unquote

import pytest

from emulator.client import start_emulator
from emulator.confluent import DEFAULT_CREDENTIALS

# How role bindings are read and written is the collection's own talk with the API: the same on every ansible-core.
pytestmark = pytest.mark.core_independent

SET = 'sso.mappings.confluent_group_mappings'
ONE = 'sso.mappings.confluent_group_mapping'
INFO = 'sso.mappings.confluent_group_mapping_info'
MAPPINGS_PATH = '/iam/v2/sso/group-mappings'
BINDINGS_PATH = '/iam/v2/role-bindings'
ORG_ID = '5e1f0a77-2c4b-4d8e-9f10-7a6b5c4d3e21'
ORG = 'crn://confluent.cloud/organization=%s' % ORG_ID


def env(name):
    return '%s/environment=env-%s' % (ORG, name)


def binding(role_name, crn_pattern):
    return {'role_name': role_name, 'crn_pattern': crn_pattern}


def mapping(name, role_bindings=None, **extra):
    item = {'display_name': name, 'filter': '"%s" in claims.groups' % name, 'description': ''}
    if role_bindings is not None:
        item['role_bindings'] = role_bindings
    item.update(extra)
    return item


def task(module, name='task', **options):
    return {'name': name, module: options, 'register': 'out'}


def is_binding_request(request):
    return request['path'] == BINDINGS_PATH or request['path'].startswith(BINDINGS_PATH + '/')


def calls(requests):
    """(method, path) of each request, with ids replaced by their kind, for order assertions."""
    shown = []
    for request in requests:
        path = request['path']
        if path.startswith(BINDINGS_PATH + '/'):
            path = BINDINGS_PATH + '/{id}'
        elif path.startswith(MAPPINGS_PATH + '/'):
            path = MAPPINGS_PATH + '/{id}'
        shown.append((request['method'], path))
    return shown


def principal(mapping):
    """The principal a mapping's bindings name: User:<mapping id> (the mapping's own principal is the bare id)."""
    return 'User:' + mapping['id']


def stored_bindings(emulator, principal=None):
    """{principal: sorted [(role_name, crn_pattern)]} (or the list of one principal) as the emulator holds them."""
    held = {}
    for item in emulator.client.state('confluent')['role_bindings']:
        held.setdefault(item['principal'], []).append((item['role_name'], item['crn_pattern']))
    held = {key: sorted(value) for key, value in held.items()}
    return held.get(principal, []) if principal is not None else held


def as_pairs(bindings):
    return sorted((b['role_name'], b['crn_pattern']) for b in bindings)


@pytest.fixture
def org(emulator, reset_emulator):  # pylint: disable=unused-argument
    """A known organization id, so that crn_pattern values can name it."""
    emulator.client.config(confluent={'org_id': ORG_ID})
    return ORG


@pytest.fixture
def seed(emulator, org):  # pylint: disable=unused-argument
    """seed(name, [bindings]) -> the seeded mapping in API shape, with its bindings planted on its principal."""
    def plant(name, bindings=(), **extra):
        item = {'display_name': name, 'filter': '"%s" in claims.groups' % name, 'description': ''}
        item.update(extra)
        created = emulator.client.seed('confluent', group_mappings=[item])['group_mappings'][0]
        if bindings:
            emulator.client.seed('confluent', role_bindings=[dict(b, principal=principal(created)) for b in bindings])
        return created
    return plant


def test_a_new_mapping_gets_its_bindings_and_a_second_run_is_silent(ansible, emulator, confluent_connection, org):
    wanted = [binding('EnvironmentAdmin', env('prod')), binding('OrganizationAdmin', org)]
    desired = [mapping('platform', role_bindings=wanted)]
    first = ansible.run([task(SET, mappings=desired, **confluent_connection)], diff=True).assert_ok()
    result = first.task('task')
    assert result['changed'] is True
    assert result['summary'] == {'created': 1, 'updated': 0, 'deleted': 0, 'unchanged': 0}

    created = emulator.client.state('confluent')['group_mappings'][0]
    assert created['principal'] == created['id']
    assert stored_bindings(emulator) == {'User:' + created['id']: as_pairs(wanted)}
    writes = emulator.client.writes()
    # The mapping first (its id makes the principal), then its bindings.
    assert calls(writes) == [('POST', MAPPINGS_PATH), ('POST', BINDINGS_PATH), ('POST', BINDINGS_PATH)]
    assert sorted((w['body']['principal'], w['body']['role_name'], w['body']['crn_pattern']) for w in writes[1:]) == \
        sorted(('User:' + created['id'], role, crn) for role, crn in as_pairs(wanted))
    assert as_pairs(result['changes'][0]['after']['role_bindings']) == as_pairs(wanted)
    assert result['changes'][0]['before'] == {}
    assert as_pairs(result['mappings'][0]['role_bindings']) == as_pairs(wanted)
    assert as_pairs(result['diff']['after']['platform']['role_bindings']) == as_pairs(wanted)

    emulator.client.clear_requests()
    second = ansible.run([task(SET, mappings=desired, **confluent_connection)]).assert_ok()
    assert second.task('task')['changed'] is False
    assert second.task('task')['summary']['unchanged'] == 1
    assert emulator.client.writes() == []


def test_one_changed_binding_is_one_delete_and_one_create(ansible, emulator, confluent_connection, seed):
    keep, old, new = binding('EnvironmentAdmin', env('prod')), binding('DeveloperRead', env('dev')), \
        binding('DeveloperWrite', env('dev'))
    seeded = seed('platform', [keep, old])
    old_id = next(b['id'] for b in emulator.client.state('confluent')['role_bindings'] if b['role_name'] == 'DeveloperRead')

    run = ansible.run([task(ONE, display_name='platform', role_bindings=[keep, new], **confluent_connection)],
                      diff=True).assert_ok()
    result = run.task('task')
    assert result['changed'] is True
    writes = emulator.client.writes()
    assert [(w['method'], w['path']) for w in writes] == [('DELETE', '%s/%s' % (BINDINGS_PATH, old_id)),
                                                          ('POST', BINDINGS_PATH)]
    assert writes[1]['body'] == dict(new, principal=principal(seeded))
    assert stored_bindings(emulator, principal(seeded)) == as_pairs([keep, new])

    change = result['changes'][0]
    assert change['action'] == 'update' and change['key'] == 'platform'
    assert as_pairs(change['before']['role_bindings']) == as_pairs([keep, old])
    assert as_pairs(change['after']['role_bindings']) == as_pairs([keep, new])
    assert {k: v for k, v in change['before'].items() if k != 'role_bindings'} == \
        {k: v for k, v in change['after'].items() if k != 'role_bindings'}
    assert result['diff']['before']['role_bindings'] == change['before']['role_bindings']
    assert result['diff']['after']['role_bindings'] == change['after']['role_bindings']
    assert as_pairs(result['mapping']['role_bindings']) == as_pairs([keep, new])


def test_bindings_are_removed_when_the_list_shrinks(ansible, emulator, confluent_connection, seed):
    bindings = [binding('EnvironmentAdmin', env('prod')), binding('DeveloperRead', env('dev')),
                binding('MetricsViewer', env('ops'))]
    seeded = seed('platform', bindings)
    ansible.run([task(SET, mappings=[mapping('platform', role_bindings=bindings[:1])],
                      **confluent_connection)]).assert_ok()
    assert calls(emulator.client.writes()) == [('DELETE', BINDINGS_PATH + '/{id}')] * 2
    assert stored_bindings(emulator, principal(seeded)) == as_pairs(bindings[:1])

    emulator.client.clear_requests()
    emptied = ansible.run([task(SET, mappings=[mapping('platform', role_bindings=[])],
                                **confluent_connection)]).assert_ok()
    assert emptied.task('task')['changed'] is True
    assert calls(emulator.client.writes()) == [('DELETE', BINDINGS_PATH + '/{id}')]
    assert stored_bindings(emulator) == {}


def test_omitted_role_bindings_are_left_alone_and_not_even_read(ansible, emulator, confluent_connection, seed):
    bindings = [binding('EnvironmentAdmin', env('prod'))]
    seeded = seed('platform', bindings)
    run = ansible.run([task(ONE, display_name='platform', filter='"platform-team" in claims.groups',
                            **confluent_connection),
                       task(SET, name='set', mappings=[mapping('platform', filter='"platform-team" in claims.groups')],
                            **confluent_connection)]).assert_ok()
    assert run.task('task')['changed'] is True
    assert 'role_bindings' not in run.task('task')['mapping']
    assert run.task('set')['changed'] is False
    requests = emulator.client.requests()
    assert [r for r in requests if is_binding_request(r)] == []
    assert calls(emulator.client.writes()) == [('PATCH', MAPPINGS_PATH + '/{id}')]
    assert stored_bindings(emulator, principal(seeded)) == as_pairs(bindings)


def test_absent_deletes_the_bindings_first_then_the_mapping(ansible, emulator, confluent_connection, seed):
    seeded = seed('platform', [binding('EnvironmentAdmin', env('prod')), binding('DeveloperRead', env('dev'))])
    other = seed('others', [binding('EnvironmentAdmin', env('prod'))])
    run = ansible.run([task(ONE, display_name='platform', state='absent', **confluent_connection)],
                      diff=True).assert_ok()
    result = run.task('task')
    assert result['changed'] is True
    assert as_pairs(result['changes'][0]['before']['role_bindings']) == as_pairs(
        [binding('EnvironmentAdmin', env('prod')), binding('DeveloperRead', env('dev'))])
    assert result['changes'][0]['after'] == {}
    writes = emulator.client.writes()
    assert calls(writes) == [('DELETE', BINDINGS_PATH + '/{id}'), ('DELETE', BINDINGS_PATH + '/{id}'),
                             ('DELETE', MAPPINGS_PATH + '/{id}')]
    assert writes[-1]['path'] == '%s/%s' % (MAPPINGS_PATH, seeded['id'])
    assert stored_bindings(emulator) == {principal(other): [('EnvironmentAdmin', env('prod'))]}
    assert [m['display_name'] for m in emulator.client.state('confluent')['group_mappings']] == ['others']


def test_purge_deletes_the_purged_mappings_bindings_first(ansible, emulator, confluent_connection, seed):
    kept = seed('keep', [binding('EnvironmentAdmin', env('prod'))])
    gone = seed('gone', [binding('DeveloperRead', env('dev')), binding('MetricsViewer', env('ops'))])
    run = ansible.run([task(SET, mappings=[mapping('keep')], purge=True, **confluent_connection)]).assert_ok()
    result = run.task('task')
    assert [(c['action'], c['key']) for c in result['changes']] == [('delete', 'gone')]
    writes = emulator.client.writes()
    assert calls(writes) == [('DELETE', BINDINGS_PATH + '/{id}'), ('DELETE', BINDINGS_PATH + '/{id}'),
                             ('DELETE', MAPPINGS_PATH + '/{id}')]
    assert writes[-1]['path'] == '%s/%s' % (MAPPINGS_PATH, gone['id'])
    # The kept mapping had no role_bindings in the task: its bindings stay as they were.
    assert stored_bindings(emulator) == {principal(kept): [('EnvironmentAdmin', env('prod'))]}


def cluster(name):
    return '%s/cloud-cluster=lkc-%s' % (env('prod'), name)


NESTED = [binding('OrganizationAdmin', ORG), binding('EnvironmentAdmin', env('prod')),
          binding('CloudClusterAdmin', cluster('orders')),
          binding('DeveloperRead', cluster('orders') + '/kafka=lkc-orders/topic=orders')]


@pytest.mark.parametrize('reading', ['scope-and-nested', 'nested-only'])
def test_bindings_on_every_scope_are_read_back_and_a_second_run_writes_nothing(
        ansible, emulator, confluent_connection, org, reading):
    """Bindings on the organization, an environment, a cluster and a topic, whichever way <org>/* is read."""
    emulator.client.config(confluent={'inclusive_includes_scope': reading == 'scope-and-nested'})
    desired = [mapping('platform', role_bindings=NESTED)]
    first = ansible.run([task(SET, mappings=desired, **confluent_connection)]).assert_ok()
    assert first.task('task')['summary']['created'] == 1
    created = emulator.client.state('confluent')['group_mappings'][0]
    assert stored_bindings(emulator) == {principal(created): as_pairs(NESTED)}

    emulator.client.clear_requests()
    again = ansible.run([task(SET, mappings=desired, **confluent_connection),
                         task(ONE, name='one', **dict(desired[0], **confluent_connection)),
                         {'name': 'info', INFO: dict(confluent_connection, display_name='platform'), 'register': 'info'}])
    again.assert_ok()
    assert again.task('task')['changed'] is False and again.task('one')['changed'] is False
    assert as_pairs(again.task('info')['mappings'][0]['role_bindings']) == as_pairs(NESTED)
    assert emulator.client.writes() == []


@pytest.mark.parametrize('how', ['absent', 'purge'])
def test_absent_and_purge_delete_the_bindings_on_every_scope_and_no_other_principals(
        ansible, emulator, confluent_connection, seed, how):
    gone = seed('gone', NESTED)
    kept = seed('kept', NESTED[:2])
    # Another principal's binding on the same scope is not the mapping's to delete.
    emulator.client.seed('confluent', role_bindings=[dict(NESTED[2], principal='User:sa-other')])
    if how == 'absent':
        tasks = [task(ONE, display_name='gone', state='absent', **confluent_connection)]
    else:
        tasks = [task(SET, mappings=[mapping('kept')], purge=True, **confluent_connection)]
    result = ansible.run(tasks, diff=True).assert_ok().task('task')
    assert [(c['action'], c['key']) for c in result['changes']] == [('delete', 'gone')]
    assert as_pairs(result['changes'][0]['before']['role_bindings']) == as_pairs(NESTED)
    assert calls(emulator.client.writes()) == [('DELETE', BINDINGS_PATH + '/{id}')] * 4 + [('DELETE', MAPPINGS_PATH + '/{id}')]
    assert emulator.client.writes()[-1]['path'] == '%s/%s' % (MAPPINGS_PATH, gone['id'])
    assert stored_bindings(emulator) == {principal(kept): as_pairs(NESTED[:2]),
                                         'User:sa-other': as_pairs(NESTED[2:3])}


def test_a_no_change_purge_over_250_mappings_sends_only_its_list_pages(ansible, emulator, confluent_connection, seed):
    names = ['team-%03d' % n for n in range(250)]
    emulator.client.seed('confluent', group_mappings=[mapping(name) for name in names])
    created = emulator.client.state('confluent')['group_mappings']
    emulator.client.seed('confluent', role_bindings=[dict(binding('DeveloperRead', env('prod')), principal=principal(m))
                                                     for m in created[:20]])
    emulator.client.clear_requests()
    run = ansible.run([task(SET, mappings=[mapping(name) for name in names], purge=True, **confluent_connection)])
    assert run.assert_ok().task('task')['changed'] is False
    requests = emulator.client.requests()
    assert [(r['method'], r['path'], r['query'].get('page_token') is not None) for r in requests] == [
        ('GET', MAPPINGS_PATH, False), ('GET', MAPPINGS_PATH, True), ('GET', MAPPINGS_PATH, True)]


@pytest.mark.parametrize('principal_format', ['bare', 'prefixed'])
def test_bindings_name_user_and_the_mapping_id_however_the_api_writes_its_principal(
        ansible, emulator, confluent_connection, org, principal_format):
    """The spec's example principal is a bare id; a User:-prefixed one is understood too. Never a bare id in a binding."""
    emulator.client.config(confluent={'principal_format': principal_format})
    desired = [mapping('platform', role_bindings=[binding('EnvironmentAdmin', env('prod'))])]
    run = ansible.run([task(SET, mappings=desired, **confluent_connection),
                       task(SET, name='again', mappings=desired, **confluent_connection)]).assert_ok()
    created = emulator.client.state('confluent')['group_mappings'][0]
    assert created['principal'] == ('User:' if principal_format == 'prefixed' else '') + created['id']
    posts = [w for w in emulator.client.writes() if w['path'] == BINDINGS_PATH]
    assert [(p['status'], p['body']['principal']) for p in posts] == [(201, 'User:' + created['id'])]
    assert run.task('again')['changed'] is False


def test_a_crn_read_back_percent_encoded_is_the_same_binding(ansible, emulator, confluent_connection, seed):
    subject = ORG + '/schema-registry=lsrc-1/subject=:.orders:orders-value'
    seeded = seed('schemas', [binding('DeveloperRead', subject)])
    emulator.client.config(confluent={'encode_crn_colons': True})
    listed = ansible.run([{'name': 'info', INFO: dict(confluent_connection), 'register': 'info'}]).assert_ok()
    assert listed.task('info')['mappings'][0]['role_bindings'] == [
        binding('DeveloperRead', subject.replace('=:.orders:', '=%3A.orders%3A'))]
    emulator.client.clear_requests()
    run = ansible.run([task(SET, mappings=[mapping('schemas', role_bindings=[
        binding('DeveloperRead', subject), binding('DeveloperWrite', subject)])], **confluent_connection)]).assert_ok()
    assert calls(emulator.client.writes()) == [('POST', BINDINGS_PATH)]
    assert run.task('task')['changes'][0]['after']['role_bindings'] == [
        binding('DeveloperRead', subject), binding('DeveloperWrite', subject)]
    # The emulator's state shows what its API answers: encoded.
    assert [(role, unquote(crn)) for role, crn in stored_bindings(emulator, principal(seeded))] == [
        ('DeveloperRead', subject), ('DeveloperWrite', subject)]


def test_150_bindings_are_read_in_two_pages_and_a_no_change_run_is_silent(
        ansible, emulator, confluent_connection, seed):
    bindings = [binding('DeveloperRead', env('e%03d' % n)) for n in range(150)]
    seeded = seed('big', bindings)
    run = ansible.run([task(SET, mappings=[mapping('big', role_bindings=bindings)], **confluent_connection)],
                      diff=True).assert_ok()
    assert run.task('task')['changed'] is False
    assert run.task('task')['diff'] == {'before': {}, 'after': {}}
    assert emulator.client.writes() == []
    lists = [r for r in emulator.client.requests() if r['method'] == 'GET' and r['path'] == BINDINGS_PATH]
    # The organization itself (no binding there), then every scope below it in two pages.
    assert [(r['query']['crn_pattern'], 'page_token' in r['query']) for r in lists] == [
        ([ORG], False), ([ORG + '/*'], False), ([ORG + '/*'], True)]
    for request in lists:
        assert request['query']['page_size'] == ['100']
        assert request['query']['principal'] == [principal(seeded)]


def test_many_mappings_read_the_organizations_bindings_at_once(ansible, emulator, confluent_connection, seed):
    desired = []
    for n in range(12):
        name = 'team-%02d' % n
        bindings = [binding('DeveloperRead', env(name)), binding('DeveloperWrite', env(name))]
        seed(name, bindings)
        desired.append(mapping(name, role_bindings=bindings))
    run = ansible.run([task(SET, mappings=desired, purge=True, **confluent_connection)]).assert_ok()
    assert run.task('task')['changed'] is False
    assert emulator.client.writes() == []
    lists = [r for r in emulator.client.requests() if r['method'] == 'GET' and r['path'] == BINDINGS_PATH]
    assert [(sorted(r['query']), r['query']['crn_pattern']) for r in lists] == [
        (['crn_pattern', 'page_size'], [ORG]), (['crn_pattern', 'page_size'], [ORG + '/*'])]


def test_check_mode_plans_binding_changes_and_writes_nothing(ansible, emulator, confluent_connection, seed):
    seed('change', [binding('DeveloperRead', env('dev'))])
    seed('purged', [binding('MetricsViewer', env('ops'))])
    before = emulator.client.state('confluent')
    desired = [mapping('change', role_bindings=[binding('DeveloperWrite', env('dev'))]),
               mapping('new', role_bindings=[binding('EnvironmentAdmin', env('new'))])]

    checked = ansible.run([task(SET, mappings=desired, purge=True, **confluent_connection)], check=True, diff=True)
    plan = checked.assert_ok().task('task')
    assert plan['changed'] is True
    assert sorted((c['action'], c['key']) for c in plan['changes']) == [
        ('create', 'new'), ('delete', 'purged'), ('update', 'change')]
    assert emulator.client.writes() == []
    assert emulator.client.state('confluent') == before

    real = ansible.run([task(SET, mappings=desired, purge=True, **confluent_connection)], diff=True).assert_ok()
    applied = real.task('task')
    assert applied['changes'] == plan['changes']
    assert applied['summary'] == plan['summary']
    assert applied['diff'] == plan['diff']
    held = stored_bindings(emulator)
    assert sorted(held.values()) == [[('DeveloperWrite', env('dev'))], [('EnvironmentAdmin', env('new'))]]


def test_info_returns_role_bindings_and_feeding_them_back_changes_nothing(
        ansible, emulator, confluent_connection, seed):
    seed('a', [binding('EnvironmentAdmin', env('prod')), binding('DeveloperRead', env('dev'))])
    seed('b')
    run = ansible.run([
        {'name': 'info', INFO: dict(confluent_connection), 'register': 'info'},
        {'name': 'back', SET: dict(confluent_connection, mappings='{{ info.mappings }}', purge=True)},
        {'name': 'one', INFO: dict(confluent_connection, display_name='a')},
    ]).assert_ok()
    listed = {m['display_name']: m for m in run.task('info')['mappings']}
    assert listed['a']['role_bindings'] == [binding('DeveloperRead', env('dev')), binding('EnvironmentAdmin', env('prod'))]
    assert listed['b']['role_bindings'] == []
    assert run.task('back')['changed'] is False
    assert run.task('one')['mappings'][0]['role_bindings'] == listed['a']['role_bindings']
    assert emulator.client.writes() == []


def test_role_bindings_wait_is_accepted_and_the_run_converges(ansible, emulator, confluent_connection, org):
    desired = [mapping('waited', role_bindings=[binding('EnvironmentAdmin', env('prod'))])]
    run = ansible.run([task(SET, mappings=desired, role_bindings_wait=1, **confluent_connection),
                       task(ONE, name='one', role_bindings_wait=0, **dict(desired[0], **confluent_connection))])
    run.assert_ok()
    assert run.task('task')['changed'] is True
    assert run.task('one')['changed'] is False
    assert list(stored_bindings(emulator).values()) == [[('EnvironmentAdmin', env('prod'))]]


@pytest.mark.parametrize('bad, words', [
    ({'role_name': 'EnvironmentAdmin', 'crn_pattern': 'confluent.cloud/organization=x'}, ['crn_pattern', 'crn://']),
    ({'role_name': 'EnvironmentAdmin', 'crn_pattern': 'crn://'}, ['crn_pattern']),
    ({'role_name': 'Environment Admin', 'crn_pattern': ORG}, ['role_name']),
    ({'role_name': 'EnvironmentAdmin'}, ['crn_pattern']),
], ids=['no-scheme', 'empty-crn', 'bad-role', 'missing-crn'])
def test_an_invalid_binding_fails_locally_before_any_request(ansible, emulator, confluent_connection, org, bad, words):
    run = ansible.run([task(SET, mappings=[mapping('ok'), mapping('bad', role_bindings=[bad])], **confluent_connection)])
    assert run.rc != 0
    message = run.task('task')['msg']
    for word in words:
        assert word in message, message
    assert emulator.client.requests() == []


def test_a_409_on_create_means_the_binding_exists(ansible, emulator, confluent_connection, seed):
    seeded = seed('platform')
    wanted = binding('EnvironmentAdmin', env('prod'))
    # Someone made the same binding between our read and our create: the API answers 409.
    emulator.client.fault({'type': 'status', 'status': 409, 'code': 'resource_already_exists',
                           'message': 'The role binding already exists'},
                          match={'operation': 'createIamV2RoleBinding'}, count=1)
    run = ansible.run([task(ONE, display_name='platform', role_bindings=[wanted], **confluent_connection)])
    result = run.assert_ok().task('task')
    assert result['changed'] is True
    posts = [w for w in emulator.client.writes() if w['path'] == BINDINGS_PATH]
    assert [(p['status'], p['body']) for p in posts] == [(409, dict(wanted, principal=principal(seeded)))]
    assert as_pairs(result['mapping']['role_bindings']) == as_pairs([wanted])


def test_a_lost_binding_create_answer_leaves_exactly_one_binding(ansible, emulator, confluent_connection, seed):
    seeded = seed('platform')
    wanted = binding('EnvironmentAdmin', env('prod'))
    emulator.client.fault({'type': 'drop_after_apply'}, match={'method': 'POST', 'path': '^%s$' % BINDINGS_PATH},
                          count=1)
    ansible.run([task(ONE, display_name='platform', role_bindings=[wanted], **confluent_connection)]).assert_ok()
    assert stored_bindings(emulator) == {principal(seeded): as_pairs([wanted])}
    assert len([w for w in emulator.client.writes() if w['path'] == BINDINGS_PATH]) == 1
    emulator.client.clear_requests()
    again = ansible.run([task(ONE, display_name='platform', role_bindings=[wanted], **confluent_connection)])
    assert again.assert_ok().task('task')['changed'] is False
    assert emulator.client.writes() == []


def test_a_deleted_mapping_leaves_no_dangling_bindings_even_on_retry(ansible, emulator, confluent_connection, seed):
    """The API keeps a deleted mapping's bindings; a failed mapping delete after the bindings went is re-runnable."""
    seed('platform', [binding('EnvironmentAdmin', env('prod'))])
    emulator.client.fault({'type': 'status', 'status': 500}, match={'operation': 'deleteIamV2SsoGroupMapping'},
                          count=None)
    failed = ansible.run([task(ONE, display_name='platform', state='absent', retries=0, **confluent_connection)])
    assert failed.rc != 0
    assert stored_bindings(emulator) == {}
    emulator.client.clear_faults()
    ansible.run([task(ONE, display_name='platform', state='absent', **confluent_connection)]).assert_ok()
    assert emulator.client.state('confluent') == {'group_mappings': [], 'role_bindings': []}


@pytest.mark.parametrize('missing_binding_status', [404, 403])
def test_a_lost_binding_delete_answer_whose_retry_meets_403_or_404_ends_as_success_when_gone(
        ansible, emulator, confluent_connection, seed, missing_binding_status):
    """The delete landed, its answer was lost, and the retry finds no binding: 404 by the spec, 403 as the
    Terraform provider reads it (PR #1138). Either way the list shows it gone, so the run succeeds."""
    emulator.client.config(confluent={'missing_binding_status': missing_binding_status})
    seeded = seed('platform', [binding('EnvironmentAdmin', env('prod')), binding('OrganizationAdmin', ORG)])
    emulator.client.fault({'type': 'drop_after_apply'}, match={'operation': 'deleteIamV2RoleBinding'}, count=1)
    run = ansible.run([task(ONE, name='apply', display_name='platform', role_bindings=[binding('OrganizationAdmin', ORG)],
                            **confluent_connection),
                       task(ONE, name='again', display_name='platform', role_bindings=[binding('OrganizationAdmin', ORG)],
                            **confluent_connection)]).assert_ok()
    assert run.task('apply')['changed'] is True
    assert as_pairs(run.task('apply')['mapping']['role_bindings']) == [('OrganizationAdmin', ORG)]
    assert stored_bindings(emulator) == {principal(seeded): [('OrganizationAdmin', ORG)]}
    deletes = [w for w in emulator.client.writes() if w['operation'] == 'deleteIamV2RoleBinding']
    assert [(d['fault'], d['status']) for d in deletes] == [('drop_after_apply', None), (None, missing_binding_status)]
    if missing_binding_status == 403:
        # The 403 is not taken for "still there": the principal's bindings of that role and scope are listed.
        after = [r for r in emulator.client.requests() if r['seq'] > deletes[1]['seq']]
        assert after[0]['operation'] == 'listIamV2RoleBindings'
        assert after[0]['query']['role_name'] == ['EnvironmentAdmin']
        assert after[0]['query']['principal'] == [principal(seeded)]
    assert run.task('again')['changed'] is False
    assert len(emulator.client.writes()) == 2


def test_a_lost_binding_delete_answer_whose_retry_meets_403_fails_when_the_binding_is_still_there(
        ansible, emulator, confluent_connection, seed):
    seeded = seed('platform', [binding('EnvironmentAdmin', env('prod')), binding('OrganizationAdmin', ORG)])
    # The first delete never reached the handler; its retry is refused (the credentials lost the permission).
    emulator.client.fault({'type': 'drop'}, match={'operation': 'deleteIamV2RoleBinding'}, count=1)
    emulator.client.fault({'type': 'status', 'status': 403, 'code': 'user_unauthorized',
                           'message': 'The principal is not allowed to delete this role binding'},
                          match={'operation': 'deleteIamV2RoleBinding'}, count=1)
    run = ansible.run([task(ONE, display_name='platform', role_bindings=[binding('OrganizationAdmin', ORG)],
                            **confluent_connection)])
    assert run.rc != 0
    message = run.task('task')['msg']
    for part in ('delete role binding EnvironmentAdmin on %s of %s' % (env('prod'), principal(seeded)),
                 'HTTP 403 user_unauthorized', 'not allowed to delete this role binding', 'after 2 attempts',
                 'had not taken effect'):
        assert part in message, part
    assert stored_bindings(emulator) == {principal(seeded): sorted([('EnvironmentAdmin', env('prod')),
                                                                    ('OrganizationAdmin', ORG)])}
    deletes = [w for w in emulator.client.writes() if w['operation'] == 'deleteIamV2RoleBinding']
    assert [(d['fault'], d['status']) for d in deletes] == [('drop', None), ('status:403', 403)]


def test_the_emulator_answers_a_missing_binding_as_configured(emulator, org):
    for status in (404, 403):
        emulator.client.config(confluent={'missing_binding_status': status})
        for method in ('GET', 'DELETE'):
            code, _headers, body = api_call(emulator.http, method, BINDINGS_PATH + '/rb-none')
            assert code == status
            assert 'invalid API key' not in json.dumps(body)


def api_call(base_url, method, path, body=None):
    """One request to the emulated API with the default API key: (status, headers, parsed body)."""
    (key, secret), = DEFAULT_CREDENTIALS['api_keys'].items()
    credentials = base64.b64encode(('%s:%s' % (key, secret)).encode()).decode()
    headers = {'Authorization': 'Basic ' + credentials}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers['Content-Type'] = 'application/json'
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b'null')
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b'null')


def test_the_emulator_keeps_a_deleted_mappings_bindings(emulator, seed):
    """As the real API does; this is why the modules delete the bindings first."""
    seeded = seed('platform', [binding('EnvironmentAdmin', env('prod'))])
    status, _headers, _body = api_call(emulator.http, 'DELETE', '%s/%s' % (MAPPINGS_PATH, seeded['id']))
    assert status == 204
    assert stored_bindings(emulator) == {principal(seeded): [('EnvironmentAdmin', env('prod'))]}


def test_the_emulator_refuses_what_the_spec_refuses(tmp_path):
    """Requests the modules never send, against a private emulator whose log the conformance test never reads."""
    with start_emulator(tmp_path / 'private') as private:
        base = private.http
        good = {'principal': 'User:group-abc12', 'role_name': 'EnvironmentAdmin', 'crn_pattern': env('prod')}
        status, headers, created = api_call(base, 'POST', BINDINGS_PATH, good)
        assert status == 201 and created['id'].startswith('rb-')
        assert (created['api_version'], created['kind']) == ('iam/v2', 'RoleBinding')
        assert created['metadata']['resource_name'].endswith('/role-binding=' + created['id'])
        assert headers['Location'].endswith('%s/%s' % (BINDINGS_PATH, created['id']))
        assert headers['X-Request-Id'] and headers['X-RateLimit-Remaining']

        status, headers, failure = api_call(base, 'POST', BINDINGS_PATH, good)
        assert status == 409 and failure['errors'][0]['code'] == 'resource_already_exists'
        assert headers['Location'].endswith(created['id'])
        for bad in (dict(good, principal='group-abc12'), dict(good, crn_pattern='confluent.cloud/x'),
                    dict(good, id='rb-mine'), dict(good, extra='x'), {'principal': 'User:u', 'role_name': 'R'},
                    dict(good, role_name=7)):
            status, _headers, failure = api_call(base, 'POST', BINDINGS_PATH, bad)
            assert status == 400 and failure['errors'][0]['status'] == '400', bad

        for query in ('', '?page_size=10', '?crn_pattern=%s&page_size=101' % ORG, '?crn_pattern=crn://x&color=red'):
            status, _headers, failure = api_call(base, 'GET', BINDINGS_PATH + query)
            assert status == 400, query
        # One scope, or with a trailing /* the scopes below it too (the Confluent CLI's --inclusive).
        for pattern, found in ((env('prod'), [created['id']]), (ORG + '/*', [created['id']]), (ORG, []),
                               ('crn://confluent.cloud/', []), (env('prod') + '/environment', [])):
            status, _headers, listed = api_call(base, 'GET', BINDINGS_PATH + '?crn_pattern=' + pattern)
            assert status == 200 and [b['id'] for b in listed['data']] == found, pattern
        assert (listed['api_version'], listed['kind']) == ('iam/v2', 'RoleBindingList')
        private.client.config(confluent={'inclusive_includes_scope': True})
        assert [b['id'] for b in api_call(base, 'GET', BINDINGS_PATH + '?crn_pattern=' + env('prod') + '/*')[2]['data']] == [
            created['id']]
        private.client.config(confluent={'inclusive_includes_scope': False})
        assert api_call(base, 'GET', BINDINGS_PATH + '?crn_pattern=' + env('prod') + '/*')[2]['data'] == []

        path = '%s/%s' % (BINDINGS_PATH, created['id'])
        assert api_call(base, 'GET', path)[0] == 200
        status, _headers, deleted = api_call(base, 'DELETE', path)
        assert status == 200 and deleted['id'] == created['id']
        assert api_call(base, 'GET', path)[0] == 404
        assert api_call(base, 'DELETE', path)[0] == 404
