// The CLI's command list: adding a command = adding its file and one line here.
import { alignCommand } from './align';
import type { CliCommand } from './common';
import { compareCommand } from './compare';
import { convertCommand } from './convert';
import { curveCommand } from './curve';
import { demoCommand } from './demo';
import { doctorCommand } from './doctor';
import { evalCommand } from './eval';
import { inspectCommand } from './inspect';
import { mergeCommand } from './merge';
import { mergekitCommand } from './mergekit';
import { planeCommand } from './plane';
import { runsCommand } from './runs';
import { searchCommand } from './search';
import { serveCommand } from './serve';
import { soupCommand } from './soup';
import { trainCommand } from './train';
import { verifyCommand } from './verify';

export const commands: CliCommand[] = [serveCommand, inspectCommand, convertCommand, mergeCommand, mergekitCommand, evalCommand, trainCommand, alignCommand, curveCommand, runsCommand];
// Evaluation and comparison (engine/compare): one line each, kept apart so the list above merges cleanly.
commands.push(compareCommand, soupCommand, searchCommand, demoCommand);
// Checks of a merge before and after (docs/doctor.md).
commands.push(doctorCommand, verifyCommand);
commands.push(planeCommand);
