import { configureSerialConsole } from './serial-console.js';
import { renderAll } from './xml.js';

describe('serial console configurator', () => {
  it('attaches a logged pty serial port and its console by default', () => {
    expect(renderAll(configureSerialConsole({ devices: {} }, '/run/vm/serial0.log'))).toBe(
      [
        "<serial type='pty'>",
        "  <log file='/run/vm/serial0.log' append='on'/>",
        "  <target type='isa-serial' port='0'>",
        "    <model name='isa-serial'/>",
        '  </target>',
        "  <alias name='serial0'/>",
        '</serial>',
        "<console type='pty'>",
        "  <target type='serial' port='0'/>",
        '</console>',
        '',
      ].join('\n'),
    );
  });

  it('attaches nothing when autoattachSerialConsole is false', () => {
    expect(configureSerialConsole({ devices: { autoattachSerialConsole: false } }, '/x')).toEqual([]);
  });
});
