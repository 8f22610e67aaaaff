# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's do-nothing module: what Ansible costs to hand a module the items and take them back.

Given the same items as a set module, it sends no request and does no work: with ``echo: false``
it returns nothing, so its run is Ansible templating the items, building the payload, starting the
module and decoding its arguments; with ``echo: true`` it returns the items as ``mappings``, as a
set module returns its resulting set.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"mappings": {"type": "raw"}, "echo": {"type": "bool", "default": False}},
                           supports_check_mode=True)
    module.exit_json(changed=False, mappings=module.params["mappings"] if module.params["echo"] else [])


if __name__ == "__main__":
    main()
