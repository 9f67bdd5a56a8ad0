import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

let factory: Promise<ZxcvbnFactory> | undefined;

/**
 * zxcvbn's 0–4 score of `password`, with the same common-password dictionary user-service refuses
 * (@zxcvbn-ts/language-common). Loaded on first use, so the dictionaries (~400 kB) never weigh on
 * pages other than registration.
 */
export async function passwordScore(password: string, userInputs: string[]): Promise<number> {
  factory ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(
    ([core, common]) => new core.ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs }),
  );
  return (await (await factory).checkAsync(password, userInputs)).score;
}
