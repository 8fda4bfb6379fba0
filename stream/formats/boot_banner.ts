/**
 * What the boot ROMs of Espressif's boards print at each reset, before a
 * sketch's own lines and in any format: the ESP32's (`ets Jun  8 2016
 * 00:22:57`, `rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)` …
 * `entry 0x400805f0`), the ESP32-S2/S3/C3's (`ESP-ROM:esp32s3-20210327`,
 * `Build:Mar 27 2021`, `SPIWP:0xee`) and the ESP8266's (` ets Jan  8
 * 2013,rst cause:2, boot mode:(3,6)`, `load 0x4010f000, len 3460, room 16`,
 * `tail 4`, `chksum 0xcc`, `csum 0x2b`, and its boot loader's `v2843a5ac`,
 * `~ld`). Such a line is neither data nor a header: its figures would make
 * series (`tail`, or whitespace columns where a CSV follows), its words name
 * a sketch's columns (`temp.~ld`).
 *
 * A line is the ROM's only whole, with the ROM's words, hex and punctuation,
 * so that a sketch's `temp 21.5` or `load 3` plots. The one a sketch could
 * print alike is `tail N` with N under 16 (the ESP8266's tail of a segment,
 * its length modulo 16).
 *
 * @module
 */

/** Why a boot ROM's line is skipped. */
export const BOOT_LINE = "a boot ROM's line (ESP32, ESP8266): no data";

const HEX = "0x[\\da-f]+";
/** `Jun  8 2016`: the ROM's build date, its day padded with a space. */
const DATE = "[A-Z][a-z]{2} [ \\d]\\d \\d{4}";

const BOOT_LINES = new RegExp(
  "^\\s*(?:" + [
    // ESP32 and ESP8266: the ROM's date, then the time or (ESP8266) the reset's cause.
    `ets ${DATE}(?: \\d\\d:\\d\\d:\\d\\d|,rst cause:\\d+, boot mode:\\(\\d+,\\d+\\))`,
    // ESP32, S2, S3, C3.
    `rst:${HEX} \\(\\w+\\),boot:${HEX} \\(\\w+\\)`,
    `(?:configsip: \\d+, )?SPIWP:${HEX}`,
    `clk_drv:${HEX}(?:,\\w+_drv:${HEX})*`,
    "mode:\\w+, clock div:\\d+",
    `load:${HEX},len:(?:${HEX}|\\d+)`,
    "ho \\d+ tail \\d+ room \\d+",
    `entry ${HEX}`,
    "ESP-ROM:[\\w-]+",
    `Build:${DATE}`,
    // ESP8266, and its boot loader's version and `~ld`.
    `load ${HEX}, len \\d+, room \\d+`,
    "tail (?:1[0-5]|\\d)",
    `c(?:hk)?sum ${HEX}`,
    "v[\\da-f]{8}",
    "~ld",
  ].join("|") + ")\\s*$",
);

/** Returns true when `line` is one an ESP32's or ESP8266's boot ROM prints at a reset. */
export function isBootLine(line: string): boolean {
  return BOOT_LINES.test(line);
}
