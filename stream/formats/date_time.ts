/**
 * A date column beside a time-of-day column, as spreadsheets and loggers
 * write them (`2026-12-07,10:00:00`; a European spreadsheet's
 * `07.12.2026;10:00:00`), is one timestamp: that day at that time, local
 * time, as a date and time without a zone are. The CSV reader asks here, at
 * its first row of data, whether the timestamp column it found is one half
 * of such a pair, and reads each row's x from the two cells.
 *
 * @module
 */

import { timeOfDay } from "./timestamps.ts";

/** A date alone: year first with `-` or `/`, or day first with dots (never month first). */
const DAY = /^(?:(\d{4})([-/])(\d{2})\2(\d{2})|(\d{1,2})\.(\d{1,2})\.(\d{4}))$/;

/** The last date read and its day, as a log's rows share one date for hours. */
let lastDate = "";
let lastDay: [number, number, number] | undefined;

/** Year, month (1–12) and day of a date alone, `2026-12-07` or `07.12.2026`; else undefined. */
export function dayOf(text: string): [number, number, number] | undefined {
  if (text === lastDate) return lastDay;
  const match = DAY.exec(text);
  let day: [number, number, number] | undefined;
  if (match) {
    const parts = match[1] === undefined
      ? [match[7], match[6], match[5]]
      : [match[1], match[3], match[4]];
    const [year, month, date] = parts.map(Number) as [number, number, number];
    if (month >= 1 && month <= 12 && date >= 1 && date <= 31) day = [year, month, date];
  }
  lastDate = text;
  lastDay = day;
  return day;
}

/** Seconds since the epoch of the day `date` at `time` of day, local time; else undefined. */
export function dateAtTime(date: string, time: string): number | undefined {
  const day = dayOf(date.trim());
  const ofDay = day && timeOfDay(time.trim());
  if (!day || ofDay === undefined) return undefined;
  const whole = Math.floor(ofDay);
  // Seconds past midnight on the wall clock: on a day the clocks change, 10:00 is still 10:00.
  return new Date(day[0], day[1] - 1, day[2], 0, 0, whole).getTime() / 1000 + ofDay - whole;
}

/**
 * The [date, time] columns of a row when column `cell` is a date with a time
 * of day beside it, or a time of day with a date beside it (the date first,
 * as usual, or after the time); else undefined. `text` gives a column's
 * text, undefined for a number or a gap.
 */
export function dateTimeColumns(
  cell: number,
  text: (cell: number) => string | undefined,
): [number, number] | undefined {
  const pairs = [[cell, cell + 1], [cell - 1, cell], [cell + 1, cell], [cell, cell - 1]] as const;
  for (const [date, time] of pairs) {
    const dateText = date >= 0 ? text(date) : undefined;
    const timeText = time >= 0 ? text(time) : undefined;
    if (
      dateText !== undefined && timeText !== undefined &&
      dateAtTime(dateText, timeText) !== undefined
    ) {
      return [date, time];
    }
  }
  return undefined;
}
