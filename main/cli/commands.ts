// The CLI's command list: adding a command = adding its file and one line here.
import { alignCommand } from './align';
import type { CliCommand } from './common';
import { convertCommand } from './convert';
import { curveCommand } from './curve';
import { evalCommand } from './eval';
import { inspectCommand } from './inspect';
import { mergeCommand } from './merge';
import { mergekitCommand } from './mergekit';
import { runsCommand } from './runs';
import { serveCommand } from './serve';
import { trainCommand } from './train';

export const commands: CliCommand[] = [serveCommand, inspectCommand, convertCommand, mergeCommand, mergekitCommand, evalCommand, trainCommand, alignCommand, curveCommand, runsCommand];
