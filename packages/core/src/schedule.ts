import { z } from 'zod';
import { bodyInt } from './common.js';
import { localDateSchema, localTimeSchema } from './time.js';

/** A span of wall-clock time within one local day, in the provider's zone. */
export const localWindowSchema = z
  .strictObject({ start: localTimeSchema, end: localTimeSchema })
  .refine((w) => w.start < w.end, { message: 'end must be after start', path: ['end'] });

/**
 * When a provider works. Weekly windows repeat in the provider's own wall-clock time, so a
 * 09:00 start stays 09:00 local across daylight-saving changes. An override replaces the weekly
 * windows of one date: no windows is time off, more windows are extra hours.
 *
 * @example
 * scheduleSchema.parse({ weekly: [{ day: 1, start: '09:00', end: '17:00' }] });
 */
export const scheduleSchema = z.strictObject({
  weekly: z
    .array(
      z
        .strictObject({
          day: bodyInt(1, 7).describe('ISO weekday: 1 is Monday, 7 is Sunday'),
          start: localTimeSchema,
          end: localTimeSchema,
        })
        // Without this an overnight 22:00-02:00 is accepted and silently offers nothing.
        .refine((w) => w.start < w.end, { message: 'end must be after start', path: ['end'] }),
    )
    .max(70),
  overrides: z
    .array(z.strictObject({ date: localDateSchema, windows: z.array(localWindowSchema).max(10) }))
    .max(400)
    .default([]),
  bufferMinutes: bodyInt(0, 240).default(0),
  minNoticeMinutes: bodyInt(0, 43_200).default(120),
  horizonDays: bodyInt(1, 365).default(60),
  slotIntervalMinutes: bodyInt(5, 240).default(30),
});

export type Schedule = z.infer<typeof scheduleSchema>;
export type LocalWindow = z.infer<typeof localWindowSchema>;
