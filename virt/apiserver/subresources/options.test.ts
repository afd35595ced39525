import { parseBody, restartOptions, startOptions, stopOptions } from './options.js';

describe('request bodies', () => {
  test('empty, JSON and YAML bodies; unknown fields ignored', () => {
    expect(stopOptions(parseBody(''))).toEqual({ dryRun: false, gracePeriod: undefined });
    expect(stopOptions(parseBody('{"gracePeriod":0,"dryRun":["All"],"kind":"StopOptions"}'))).toEqual({ dryRun: true, gracePeriod: 0 });
    expect(startOptions(parseBody('paused: false\n'))).toEqual({ dryRun: false, paused: false });
    expect(restartOptions(parseBody('{"gracePeriodSeconds": 0}'))).toEqual({ dryRun: false, gracePeriodSeconds: 0 });
  });

  test('wrong types and dryRun values are 400s naming the field', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as { code: number; message: string };
      }
      throw new Error('no error');
    };
    expect(err(() => stopOptions(parseBody('{"gracePeriod":"5"}')))).toMatchObject({ code: 400, message: expect.stringContaining('gracePeriod: expected an integer') });
    expect(err(() => startOptions(parseBody('{"paused":"yes"}')))).toMatchObject({ code: 400, message: expect.stringContaining('paused: expected a boolean') });
    expect(err(() => stopOptions(parseBody('{"dryRun":["Some"]}')))).toMatchObject({ code: 400, message: 'dryRun: unsupported value "Some" (the only one is "All")' });
    expect(err(() => parseBody('[1,2]'))).toMatchObject({ code: 400 });
    expect(err(() => parseBody('{"a": '))).toMatchObject({ code: 400, message: expect.stringMatching(/^Can not unmarshal Request body to struct, error: /) });
  });
});
