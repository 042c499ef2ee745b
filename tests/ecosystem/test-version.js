// Copyright The Ladle authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The version of Ladle from GJS: the run-time functions, the constants and check_version().
// Run with `gjs -m test-version.js`.

import {GLib, Ladle, assertEqual, runTap} from '../gjs/harness.js';

const VERSION = GLib.getenv('LADLE_PROJECT_VERSION');
const [MAJOR, MINOR, MICRO] = VERSION.split('.').map(Number);

runTap([
    ['runtime version', () => {
        assertEqual(`${Ladle.get_major_version()}.${Ladle.get_minor_version()}.${Ladle.get_micro_version()}`,
            VERSION);
        assertEqual(Ladle.MINOR_VERSION, MINOR);
        assertEqual(Ladle.VERSION_S, VERSION);
    }],
    ['check_version', () => {
        assertEqual(Ladle.check_version(MAJOR, MINOR, MICRO), null);
        assertEqual(Ladle.check_version(MAJOR + 1, 0, 0), 'Ladle version too old (major mismatch)');
        assertEqual(Ladle.check_version(MAJOR, MINOR, MICRO + 1), 'Ladle version too old (micro mismatch)');
    }],
]);
