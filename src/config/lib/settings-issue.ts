import type { BaseIssue } from 'valibot';
import { SettingsError } from '../../errors.js';

type Issue = BaseIssue<unknown>;

/** The setting an issue's path names: `limits.maxDepth`, `entities[1]`, `publicKeys.myapp`; the config itself: `(config)`. */
function settingName(issue: Issue): string {
  let setting = '';
  for (const { key } of issue.path ?? []) {
    if (typeof key === 'number') setting += `[${key}]`;
    else setting += setting === '' ? String(key) : `.${String(key)}`;
  }
  return setting === '' ? '(config)' : setting;
}

const isUnknownKey = (issue: Issue): boolean => issue.type === 'strict_object' && issue.expected === 'never';

/**
 * The `SettingsError` for what the settings schema found: an unknown key first (a misspelt
 * setting explains the values around it), else the first problem in the settings' order. One
 * error, naming one setting, is what a user fixes before the next start-up.
 */
export function settingsErrorOf(issues: readonly [Issue, ...Issue[]]): SettingsError {
  const issue = issues.find(isUnknownKey) ?? issues[0];
  return new SettingsError(settingName(issue), issue.message);
}
