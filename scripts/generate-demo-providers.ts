/**
 * Writes packages/api/src/seed/demo-providers.json, the demo roster. The committed JSON is the
 * artifact; this script is how it was made and how to change it without hand-editing 48 rows.
 *
 * Ids are derived from each provider's `key`, so they survive any other edit and re-seeding stays
 * an upsert. Never reuse or rename a key: that would give a provider a new id.
 *
 *   npx tsx scripts/generate-demo-providers.ts
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { formatId } from '../packages/core/src/ids.js';
import type { ProviderImportRow } from '../packages/core/src/provider.js';
import { parseProviderImport } from '../packages/api/src/seed/provider-import.js';

const OUTPUT = new URL('../packages/api/src/seed/demo-providers.json', import.meta.url);

type Row = ProviderImportRow;
type Weekly = Row['schedule']['weekly'];
type Currency = Row['sessionTypes'][number]['price']['currency'];

/** ISO weekdays. Gulf providers rest on Friday and Saturday, Nepal on Saturday. */
const MON_FRI = [1, 2, 3, 4, 5];
const SUN_THU = [7, 1, 2, 3, 4];
const SUN_FRI = [7, 1, 2, 3, 4, 5];

function days(list: number[], start: string, end: string): Weekly {
  return list.map((day) => ({ day, start, end }));
}

/** `prices` maps minutes to the price in major units; stored in minor units. */
function sessions(currency: Currency, prices: Record<number, number>): Row['sessionTypes'] {
  return Object.entries(prices).map(([duration, major]) => ({
    duration: Number(duration),
    price: { amount: Math.round(major * 100), currency },
  }));
}

interface Draft extends Omit<Row, 'id' | 'schedule'> {
  key: string;
  weekly: Weekly;
  rules: [buffer: number, notice: number, horizon: number, interval: number];
  overrides?: Row['schedule']['overrides'];
}

type Base = Pick<Draft, 'timeZone' | 'acceptingNewPatients' | 'active'>;
const inZone = (timeZone: string): Base => ({ timeZone, acceptingNewPatients: true, active: true });

const RUH = inZone('Asia/Riyadh');
const DXB = inZone('Asia/Dubai');
const LON = inZone('Europe/London');
const NYC = inZone('America/New_York');
const LAX = inZone('America/Los_Angeles');
const CCU = inZone('Asia/Kolkata');
const SYD = inZone('Australia/Sydney');
const KTM = inZone('Asia/Kathmandu');

const drafts: Draft[] = [
  {
    ...RUH,
    key: 'ruh-01',
    displayName: 'Dr. Noura Al-Qahtani',
    type: 'psychologist',
    specialties: ['anxiety', 'depression', 'self-esteem'],
    languages: ['ar', 'en'],
    gender: 'female',
    bio:
      'Clinical psychologist working with adults on anxiety and low mood using CBT. Sessions in ' +
      'Arabic or English.',
    yearsOfExperience: 12,
    sessionTypes: sessions('SAR', { 30: 250, 50: 400 }),
    licensedRegions: ['SA'],
    weekly: [...days(SUN_THU, '09:00', '13:00'), ...days(SUN_THU, '16:00', '20:00')],
    rules: [10, 120, 60, 30],
  },
  {
    ...RUH,
    key: 'ruh-02',
    displayName: 'Dr. Faisal Al-Harbi',
    type: 'psychiatrist',
    specialties: ['bipolar', 'depression', 'adhd', 'sleep'],
    languages: ['ar', 'en'],
    gender: 'male',
    bio:
      'Consultant psychiatrist offering assessment and medication review for mood disorders and ' +
      'adult ADHD.',
    yearsOfExperience: 18,
    sessionTypes: sessions('SAR', { 30: 600, 60: 900 }),
    licensedRegions: ['SA', 'AE'],
    weekly: [...days(SUN_THU, '17:00', '22:00'), ...days([6], '10:00', '14:00')],
    rules: [5, 1440, 45, 15],
  },
  {
    ...RUH,
    key: 'ruh-03',
    displayName: 'Reem Al-Shehri',
    type: 'counselor',
    specialties: ['family', 'relationships', 'postpartum'],
    languages: ['ar'],
    gender: 'female',
    bio: 'Family counselor supporting mothers and couples through the changes a new baby brings.',
    yearsOfExperience: 6,
    sessionTypes: sessions('SAR', { 45: 250, 60: 320 }),
    licensedRegions: ['SA'],
    weekly: days([7, 1, 2, 3], '10:00', '15:00'),
    rules: [15, 240, 30, 30],
  },
  {
    ...RUH,
    key: 'ruh-04',
    acceptingNewPatients: false,
    displayName: 'Khalid Al-Mutairi',
    type: 'therapist',
    specialties: ['addiction', 'anger', 'stress', 'workplace'],
    languages: ['ar', 'en'],
    gender: 'male',
    bio:
      'Therapist focused on recovery from substance use and on anger at work and at home. ' +
      'Currently seeing existing clients only.',
    yearsOfExperience: 9,
    sessionTypes: sessions('SAR', { 50: 350, 90: 600 }),
    licensedRegions: ['SA'],
    weekly: days(SUN_THU, '18:00', '23:00'),
    rules: [10, 180, 60, 60],
  },
  {
    ...RUH,
    key: 'ruh-05',
    displayName: 'Dr. Hala Mansour',
    type: 'psychologist',
    specialties: ['child-adolescent', 'adhd', 'anxiety'],
    languages: ['ar', 'en', 'fr'],
    gender: 'female',
    bio:
      'Child and adolescent psychologist who works with parents alongside the young person. ' +
      'Assessments in Arabic, English or French.',
    yearsOfExperience: 15,
    sessionTypes: sessions('SAR', { 30: 280, 50: 450, 90: 750 }),
    licensedRegions: ['SA'],
    weekly: days(SUN_THU, '14:00', '20:00'),
    rules: [10, 720, 90, 30],
    // Founding Day, a public holiday in Saudi Arabia.
    overrides: [{ date: '2027-02-22', windows: [] }],
  },
  {
    ...RUH,
    key: 'ruh-06',
    displayName: 'Dr. Yousef Haddad',
    type: 'psychiatrist',
    specialties: ['ocd', 'anxiety', 'depression', 'ptsd'],
    languages: ['ar', 'en'],
    gender: 'male',
    bio:
      'Psychiatrist with two decades of experience treating OCD and anxiety disorders, combining ' +
      'medication with exposure work.',
    yearsOfExperience: 22,
    sessionTypes: sessions('SAR', { 30: 650, 60: 1000 }),
    licensedRegions: ['SA', 'AE'],
    weekly: [...days([7, 2, 4], '09:00', '14:00'), ...days([1, 3], '16:00', '21:00')],
    rules: [15, 1440, 60, 30],
  },
  {
    ...RUH,
    key: 'ruh-07',
    displayName: 'Lina Al-Dossary',
    type: 'therapist',
    specialties: ['trauma', 'ptsd', 'grief'],
    languages: ['ar', 'en'],
    gender: 'female',
    bio:
      'Trauma therapist trained in EMDR, helping adults after loss, accidents and difficult ' +
      'childhoods.',
    yearsOfExperience: 8,
    sessionTypes: sessions('SAR', { 50: 380, 90: 650 }),
    licensedRegions: ['SA'],
    weekly: [...days(SUN_THU, '12:00', '18:00'), ...days([6], '12:00', '16:00')],
    rules: [10, 240, 60, 30],
  },
  {
    ...RUH,
    key: 'ruh-08',
    displayName: 'Omar Bakheet',
    type: 'counselor',
    specialties: ['stress', 'workplace', 'sleep', 'self-esteem'],
    languages: ['ar', 'en', 'ur'],
    gender: 'male',
    bio:
      'Counselor for professionals dealing with burnout, long hours and poor sleep. Evening ' +
      'sessions after the working day.',
    yearsOfExperience: 4,
    sessionTypes: sessions('SAR', { 30: 150, 45: 220 }),
    licensedRegions: ['SA'],
    weekly: days(SUN_THU, '19:00', '23:00'),
    rules: [0, 60, 30, 15],
  },
  {
    ...DXB,
    key: 'dxb-01',
    displayName: 'Dr. Mariam Al-Suwaidi',
    type: 'psychologist',
    specialties: ['anxiety', 'depression', 'postpartum', 'relationships'],
    languages: ['ar', 'en'],
    gender: 'female',
    bio:
      'Counselling psychologist supporting women through pregnancy, early motherhood and ' +
      'relationship changes.',
    yearsOfExperience: 14,
    sessionTypes: sessions('AED', { 50: 700, 60: 800, 90: 1100 }),
    licensedRegions: ['AE', 'SA'],
    weekly: days(SUN_THU, '10:00', '18:00'),
    rules: [10, 240, 60, 30],
  },
  {
    ...DXB,
    key: 'dxb-02',
    displayName: 'Dr. Rajesh Menon',
    type: 'psychiatrist',
    specialties: ['adhd', 'bipolar', 'depression', 'addiction'],
    languages: ['en', 'ml', 'hi'],
    gender: 'male',
    bio:
      'Adult psychiatrist with a special interest in ADHD and dual diagnosis. Consultations in ' +
      'English, Malayalam or Hindi.',
    yearsOfExperience: 20,
    sessionTypes: sessions('AED', { 30: 900, 60: 1400 }),
    licensedRegions: ['AE', 'IN'],
    weekly: days(SUN_THU, '15:00', '21:00'),
    rules: [5, 1440, 60, 30],
  },
  {
    ...DXB,
    key: 'dxb-03',
    displayName: 'Sarah Whitfield',
    type: 'therapist',
    specialties: ['trauma', 'relationships', 'lgbtq', 'self-esteem'],
    languages: ['en'],
    gender: 'female',
    bio:
      'Integrative therapist who has worked with expatriate clients in London and Dubai for over ' +
      'a decade.',
    yearsOfExperience: 11,
    sessionTypes: sessions('AED', { 50: 650, 60: 750 }),
    licensedRegions: ['AE', 'GB'],
    weekly: [
      ...days([7], '09:00', '13:00'),
      ...days([1, 2, 3, 4], '08:00', '12:00'),
      ...days([1, 2, 3, 4], '17:00', '20:00'),
    ],
    rules: [10, 120, 60, 30],
  },
  {
    ...DXB,
    key: 'dxb-04',
    displayName: 'Ahmad Kazemi',
    type: 'counselor',
    specialties: ['family', 'relationships', 'anger'],
    languages: ['fa', 'ar', 'en'],
    gender: 'male',
    bio:
      'Family counselor helping parents and teenagers talk again. Sessions in Farsi, Arabic or ' +
      'English.',
    yearsOfExperience: 7,
    sessionTypes: sessions('AED', { 45: 450, 60: 550 }),
    licensedRegions: ['AE'],
    weekly: days(SUN_THU, '16:00', '22:00'),
    rules: [15, 180, 45, 15],
  },
  {
    ...DXB,
    key: 'dxb-05',
    displayName: 'Dr. Fatima Zahra Benali',
    type: 'psychologist',
    specialties: ['eating-disorders', 'anxiety', 'ocd'],
    languages: ['ar', 'fr', 'en'],
    gender: 'female',
    bio: 'Clinical psychologist specialising in eating disorders and perfectionism in young adults.',
    yearsOfExperience: 10,
    sessionTypes: sessions('AED', { 50: 750, 60: 850 }),
    licensedRegions: ['AE'],
    weekly: days([7, 1, 2, 3], '09:00', '17:00'),
    rules: [10, 1440, 90, 60],
  },
  {
    ...DXB,
    key: 'dxb-06',
    displayName: 'Aisha Qureshi',
    type: 'counselor',
    specialties: ['stress', 'grief', 'workplace', 'family'],
    languages: ['ur', 'hi', 'ar', 'en'],
    gender: 'female',
    bio: 'Counselor supporting people living far from family, with evening and Saturday sessions.',
    yearsOfExperience: 5,
    sessionTypes: sessions('AED', { 30: 300, 50: 450 }),
    licensedRegions: ['AE'],
    weekly: [...days(SUN_THU, '18:00', '22:00'), ...days([6], '10:00', '16:00')],
    rules: [5, 60, 30, 30],
  },
  {
    ...DXB,
    key: 'dxb-07',
    acceptingNewPatients: false,
    displayName: 'Hamad Al-Mazrouei',
    type: 'therapist',
    specialties: ['ptsd', 'trauma', 'addiction'],
    languages: ['ar', 'en'],
    gender: 'male',
    bio:
      'Therapist working with first responders and veterans on trauma and its aftermath. His ' +
      'list is currently full.',
    yearsOfExperience: 13,
    sessionTypes: sessions('AED', { 50: 700, 90: 1150 }),
    licensedRegions: ['AE', 'SA'],
    weekly: days(SUN_THU, '09:00', '15:00'),
    rules: [15, 480, 60, 60],
  },
  {
    ...LON,
    key: 'lon-01',
    displayName: 'Dr. Eleanor Pryce',
    type: 'psychologist',
    specialties: ['ocd', 'anxiety', 'eating-disorders'],
    languages: ['en'],
    gender: 'female',
    bio: 'Clinical psychologist offering CBT for OCD, health anxiety and eating difficulties.',
    yearsOfExperience: 16,
    sessionTypes: sessions('GBP', { 50: 120, 60: 140 }),
    licensedRegions: ['GB'],
    weekly: [...days([1, 2, 3, 4], '09:00', '12:30'), ...days([1, 2, 3, 4], '13:30', '17:00')],
    rules: [10, 1440, 90, 30],
    // Early May bank holiday.
    overrides: [{ date: '2027-05-03', windows: [] }],
  },
  {
    ...LON,
    key: 'lon-02',
    displayName: 'Dr. Imran Siddiqui',
    type: 'psychiatrist',
    specialties: ['adhd', 'bipolar', 'depression'],
    languages: ['en', 'ur', 'hi'],
    gender: 'male',
    bio:
      'Consultant psychiatrist offering adult ADHD assessment and mood disorder reviews on ' +
      'weekday evenings and Saturdays.',
    yearsOfExperience: 19,
    sessionTypes: sessions('GBP', { 30: 180, 60: 320 }),
    licensedRegions: ['GB', 'AE'],
    weekly: [...days([2, 4], '18:00', '21:00'), ...days([6], '09:00', '13:00')],
    rules: [5, 1440, 60, 30],
  },
  {
    ...LON,
    key: 'lon-03',
    displayName: 'Chloe Davies',
    type: 'therapist',
    specialties: ['lgbtq', 'relationships', 'self-esteem', 'trauma'],
    languages: ['en'],
    gender: 'female',
    bio:
      'Person-centred therapist with a warm, unhurried style, working with individuals and ' +
      'couples.',
    yearsOfExperience: 7,
    sessionTypes: sessions('GBP', { 50: 75, 90: 130 }),
    licensedRegions: ['GB'],
    weekly: days([1, 3, 5], '10:00', '18:00'),
    rules: [10, 120, 60, 60],
  },
  {
    ...LON,
    key: 'lon-04',
    displayName: 'Samir Khoury',
    type: 'counselor',
    specialties: ['grief', 'stress', 'workplace', 'anxiety'],
    languages: ['en', 'ar', 'fr'],
    gender: 'male',
    bio:
      'Bereavement and workplace counselor seeing clients in English, Arabic or French after ' +
      'office hours.',
    yearsOfExperience: 9,
    sessionTypes: sessions('GBP', { 50: 65, 60: 75 }),
    licensedRegions: ['GB', 'AE', 'SA'],
    weekly: days(MON_FRI, '17:00', '21:00'),
    rules: [10, 240, 45, 30],
  },
  {
    ...LON,
    key: 'lon-05',
    displayName: 'Dr. Priya Raman',
    type: 'psychologist',
    specialties: ['child-adolescent', 'adhd', 'family'],
    languages: ['en', 'ta'],
    gender: 'female',
    bio: 'Clinical psychologist for children and families, including neurodevelopmental assessment.',
    yearsOfExperience: 12,
    sessionTypes: sessions('GBP', { 50: 130, 90: 220 }),
    licensedRegions: ['GB', 'IN'],
    weekly: days(MON_FRI, '08:00', '14:00'),
    rules: [15, 1440, 90, 30],
  },
  {
    ...LON,
    key: 'lon-06',
    active: false,
    displayName: 'Callum Fraser',
    type: 'therapist',
    specialties: ['addiction', 'anger', 'ptsd'],
    languages: ['en'],
    gender: 'male',
    bio:
      'Therapist working with men on addiction, anger and the effects of trauma. On leave and ' +
      'not taking bookings.',
    yearsOfExperience: 14,
    sessionTypes: sessions('GBP', { 50: 85, 60: 95 }),
    licensedRegions: ['GB'],
    weekly: days([2, 3, 4, 5, 6], '12:00', '20:00'),
    rules: [10, 240, 60, 30],
  },
  {
    ...NYC,
    key: 'nyc-01',
    displayName: 'Dr. Rachel Goldfarb',
    type: 'psychologist',
    specialties: ['anxiety', 'ocd', 'stress'],
    languages: ['en'],
    gender: 'female',
    bio: 'Licensed psychologist using CBT and ERP for anxiety, OCD and stress at work.',
    yearsOfExperience: 17,
    sessionTypes: sessions('USD', { 45: 200, 60: 250 }),
    licensedRegions: ['US-NY', 'US-NJ'],
    weekly: days(MON_FRI, '09:00', '17:00'),
    rules: [15, 120, 60, 30],
  },
  {
    ...NYC,
    key: 'nyc-02',
    displayName: 'Dr. Marcus Bell',
    type: 'psychiatrist',
    specialties: ['bipolar', 'adhd', 'depression', 'addiction'],
    languages: ['en'],
    gender: 'male',
    bio:
      'Board-certified psychiatrist providing medication management with early morning and ' +
      'Saturday hours.',
    yearsOfExperience: 21,
    sessionTypes: sessions('USD', { 30: 275, 60: 450 }),
    licensedRegions: ['US-NY', 'US-CT', 'US-MA'],
    weekly: [...days([2, 3, 4], '07:00', '11:00'), ...days([6], '09:00', '13:00')],
    rules: [5, 1440, 90, 30],
  },
  {
    ...NYC,
    key: 'nyc-03',
    displayName: 'Ana Lucia Ortega',
    type: 'therapist',
    specialties: ['trauma', 'family', 'postpartum'],
    languages: ['es', 'en'],
    gender: 'female',
    bio:
      'Bilingual family therapist supporting new parents and families after trauma, in Spanish ' +
      'or English.',
    yearsOfExperience: 10,
    sessionTypes: sessions('USD', { 50: 160, 90: 260 }),
    licensedRegions: ['US-NY', 'US-NJ'],
    weekly: days([1, 2, 3, 4], '12:00', '20:00'),
    rules: [10, 240, 60, 30],
  },
  {
    ...NYC,
    key: 'nyc-04',
    displayName: 'Jamal Carter',
    type: 'counselor',
    specialties: ['workplace', 'stress', 'anger', 'self-esteem'],
    languages: ['en'],
    gender: 'male',
    bio: 'Mental health counselor helping people handle pressure at work, conflict and setbacks.',
    yearsOfExperience: 6,
    sessionTypes: sessions('USD', { 45: 110, 60: 140 }),
    licensedRegions: ['US-NY'],
    weekly: [...days(MON_FRI, '17:00', '21:00'), ...days([6], '10:00', '14:00')],
    rules: [5, 60, 30, 15],
  },
  {
    ...NYC,
    key: 'nyc-05',
    displayName: 'Dr. Leila Farahani',
    type: 'psychologist',
    specialties: ['anxiety', 'trauma', 'lgbtq'],
    languages: ['en', 'fa', 'fr'],
    gender: 'female',
    bio:
      'Psychologist working with immigrants and LGBTQ adults on anxiety and trauma, in English, ' +
      'Farsi or French.',
    yearsOfExperience: 13,
    sessionTypes: sessions('USD', { 50: 220, 90: 350 }),
    licensedRegions: ['US-NY', 'US-PA'],
    weekly: days([1, 3, 5], '10:00', '18:00'),
    rules: [10, 720, 60, 30],
  },
  {
    ...NYC,
    key: 'nyc-06',
    acceptingNewPatients: false,
    displayName: 'Dr. Tariq Rahman',
    type: 'psychiatrist',
    specialties: ['depression', 'anxiety', 'ocd'],
    languages: ['en', 'bn', 'hi'],
    gender: 'male',
    bio:
      'Psychiatrist holding early morning hours that suit patients in the Gulf. Follow-ups for ' +
      'existing patients only.',
    yearsOfExperience: 15,
    sessionTypes: sessions('USD', { 30: 250, 60: 400 }),
    licensedRegions: ['US-NY', 'AE'],
    weekly: days([1, 2, 3, 4], '06:00', '10:00'),
    rules: [5, 1440, 60, 30],
  },
  {
    ...LAX,
    key: 'lax-01',
    displayName: 'Dr. Jennifer Liu',
    type: 'psychologist',
    specialties: ['anxiety', 'depression', 'sleep'],
    languages: ['en', 'zh'],
    gender: 'female',
    bio: 'Psychologist treating anxiety, depression and insomnia with CBT, in English or Mandarin.',
    yearsOfExperience: 12,
    sessionTypes: sessions('USD', { 50: 210, 60: 240 }),
    licensedRegions: ['US-CA'],
    weekly: days(MON_FRI, '08:00', '16:00'),
    rules: [10, 240, 60, 30],
  },
  {
    ...LAX,
    key: 'lax-02',
    displayName: 'Dr. Samuel Okafor',
    type: 'psychiatrist',
    specialties: ['ptsd', 'trauma', 'sleep', 'addiction'],
    languages: ['en'],
    gender: 'male',
    bio:
      'Psychiatrist with long experience treating PTSD and the sleep and substance problems that ' +
      'come with it.',
    yearsOfExperience: 24,
    sessionTypes: sessions('USD', { 30: 300, 60: 500 }),
    licensedRegions: ['US-CA', 'US-WA', 'US-OR'],
    weekly: days([1, 2, 4], '13:00', '19:00'),
    rules: [10, 1440, 90, 30],
  },
  {
    ...LAX,
    key: 'lax-03',
    displayName: 'Maria Santos',
    type: 'therapist',
    specialties: ['family', 'relationships', 'grief'],
    languages: ['en', 'tl', 'es'],
    gender: 'female',
    bio: 'Marriage and family therapist seeing couples and families in English, Tagalog or Spanish.',
    yearsOfExperience: 8,
    sessionTypes: sessions('USD', { 50: 150, 90: 240 }),
    licensedRegions: ['US-CA'],
    weekly: days([2, 3, 4, 5, 6], '10:00', '18:00'),
    rules: [10, 120, 45, 30],
  },
  {
    ...LAX,
    key: 'lax-04',
    displayName: 'Dylan Brooks',
    type: 'counselor',
    specialties: ['lgbtq', 'self-esteem', 'anxiety'],
    languages: ['en'],
    gender: 'other',
    bio:
      'Counselor offering affirming support for LGBTQ clients with anxiety and questions of ' +
      'identity.',
    yearsOfExperience: 5,
    sessionTypes: sessions('USD', { 45: 120, 60: 145 }),
    licensedRegions: ['US-CA', 'US-WA'],
    weekly: [...days([1, 2, 3, 4], '16:00', '21:00'), ...days([7], '10:00', '14:00')],
    rules: [0, 60, 30, 15],
  },
  {
    ...LAX,
    key: 'lax-05',
    displayName: 'Dr. Neha Kapoor',
    type: 'psychologist',
    specialties: ['eating-disorders', 'anxiety', 'ocd', 'child-adolescent'],
    languages: ['en', 'hi'],
    gender: 'female',
    bio:
      'Psychologist for teenagers and young adults with eating disorders and OCD, licensed in ' +
      'California and India.',
    yearsOfExperience: 9,
    sessionTypes: sessions('USD', { 50: 230, 60: 260 }),
    licensedRegions: ['US-CA', 'IN'],
    weekly: [...days(MON_FRI, '07:00', '11:00'), ...days([3], '17:00', '20:00')],
    rules: [10, 720, 60, 30],
  },
  {
    ...CCU,
    key: 'ccu-01',
    displayName: 'Dr. Ananya Iyer',
    type: 'psychologist',
    specialties: ['anxiety', 'depression', 'relationships', 'stress'],
    languages: ['en', 'hi', 'ta'],
    gender: 'female',
    bio:
      'Clinical psychologist working with adults on anxiety, low mood and relationship stress, ' +
      'in English, Hindi or Tamil.',
    yearsOfExperience: 11,
    sessionTypes: sessions('INR', { 50: 2000, 60: 2500 }),
    licensedRegions: ['IN'],
    weekly: [
      ...days(MON_FRI, '10:00', '13:00'),
      ...days(MON_FRI, '15:00', '18:00'),
      ...days([6], '10:00', '13:00'),
    ],
    rules: [10, 120, 60, 30],
  },
  {
    ...CCU,
    key: 'ccu-02',
    displayName: 'Dr. Vikram Sethi',
    type: 'psychiatrist',
    specialties: ['bipolar', 'adhd', 'addiction', 'sleep'],
    languages: ['en', 'hi'],
    gender: 'male',
    bio: 'Senior psychiatrist seeing adults for mood disorders, ADHD and de-addiction care.',
    yearsOfExperience: 23,
    sessionTypes: sessions('INR', { 30: 2500, 60: 4000 }),
    licensedRegions: ['IN', 'AE'],
    weekly: days([1, 2, 3, 4, 5, 6], '17:00', '21:00'),
    rules: [5, 1440, 60, 15],
  },
  {
    ...CCU,
    key: 'ccu-03',
    displayName: 'Kavitha Subramaniam',
    type: 'counselor',
    specialties: ['family', 'postpartum', 'grief'],
    languages: ['ta', 'en'],
    gender: 'female',
    bio: 'Counselor supporting new mothers and grieving families, in Tamil or English.',
    yearsOfExperience: 7,
    sessionTypes: sessions('INR', { 45: 1200, 60: 1500 }),
    licensedRegions: ['IN'],
    weekly: days(MON_FRI, '09:00', '14:00'),
    rules: [15, 240, 45, 15],
  },
  {
    ...CCU,
    key: 'ccu-04',
    displayName: 'Arjun Bhattacharya',
    type: 'therapist',
    specialties: ['trauma', 'lgbtq', 'self-esteem', 'anxiety'],
    languages: ['bn', 'en', 'hi'],
    gender: 'male',
    bio:
      'Queer-affirmative therapist working with trauma and self-worth, in Bengali, English or ' +
      'Hindi.',
    yearsOfExperience: 9,
    sessionTypes: sessions('INR', { 50: 1800, 90: 3000 }),
    licensedRegions: ['IN'],
    weekly: days([2, 3, 4, 5, 6], '11:00', '19:00'),
    rules: [10, 240, 60, 60],
  },
  {
    ...CCU,
    key: 'ccu-05',
    displayName: 'Dr. Farhan Ansari',
    type: 'psychologist',
    specialties: ['ocd', 'anxiety', 'child-adolescent'],
    languages: ['ur', 'hi', 'en'],
    gender: 'male',
    bio:
      'Clinical psychologist treating OCD and anxiety in children and adults, with Sunday hours ' +
      'for families.',
    yearsOfExperience: 14,
    sessionTypes: sessions('INR', { 30: 1300, 50: 2200, 60: 2600 }),
    licensedRegions: ['IN', 'AE'],
    weekly: [...days([1, 2, 3, 4], '18:00', '22:00'), ...days([7], '10:00', '14:00')],
    rules: [10, 480, 60, 30],
  },
  {
    ...CCU,
    key: 'ccu-06',
    displayName: 'Meera Pillai',
    type: 'counselor',
    specialties: ['workplace', 'stress', 'sleep'],
    languages: ['ml', 'en', 'hi'],
    gender: 'female',
    bio:
      'Counselor for stress, burnout and sleep trouble, with weekday evening and weekend morning ' +
      'slots.',
    yearsOfExperience: 4,
    sessionTypes: sessions('INR', { 30: 800, 45: 1100, 60: 1400 }),
    licensedRegions: ['IN'],
    weekly: [...days(MON_FRI, '19:00', '22:00'), ...days([6, 7], '09:00', '12:00')],
    rules: [0, 60, 30, 15],
  },
  {
    ...SYD,
    key: 'syd-01',
    displayName: 'Dr. Olivia Hartley',
    type: 'psychologist',
    specialties: ['anxiety', 'depression', 'postpartum'],
    languages: ['en'],
    gender: 'female',
    bio: 'Clinical psychologist with a focus on perinatal mental health and anxiety in parents.',
    yearsOfExperience: 15,
    sessionTypes: sessions('AUD', { 50: 250, 60: 290 }),
    licensedRegions: ['AU'],
    weekly: days(MON_FRI, '08:30', '16:30'),
    rules: [10, 1440, 60, 30],
  },
  {
    ...SYD,
    key: 'syd-02',
    displayName: 'Dr. George Papadakis',
    type: 'psychiatrist',
    specialties: ['bipolar', 'depression', 'ptsd'],
    languages: ['en'],
    gender: 'male',
    bio:
      'Consultant psychiatrist providing assessment and ongoing care for bipolar disorder, ' +
      'depression and PTSD.',
    yearsOfExperience: 26,
    sessionTypes: sessions('AUD', { 30: 300, 60: 520, 90: 720 }),
    licensedRegions: ['AU-NSW', 'AU-VIC'],
    weekly: [...days([1, 3], '09:00', '17:00'), ...days([5], '09:00', '13:00')],
    rules: [15, 1440, 90, 30],
  },
  {
    ...SYD,
    key: 'syd-03',
    displayName: 'Jasmine Nguyen',
    type: 'therapist',
    specialties: ['trauma', 'relationships', 'lgbtq'],
    languages: ['en'],
    gender: 'female',
    bio:
      'Relationship and trauma therapist working with individuals and couples, including ' +
      'Saturday mornings.',
    yearsOfExperience: 8,
    sessionTypes: sessions('AUD', { 50: 180, 90: 300 }),
    licensedRegions: ['AU'],
    weekly: [...days([2, 3, 4], '12:00', '20:00'), ...days([6], '09:00', '13:00')],
    rules: [10, 240, 60, 30],
  },
  {
    ...SYD,
    key: 'syd-04',
    displayName: "Liam O'Connor",
    type: 'counselor',
    specialties: ['addiction', 'anger', 'workplace', 'grief'],
    languages: ['en'],
    gender: 'male',
    bio: 'Counselor for drinking, gambling and anger problems, seeing clients after work.',
    yearsOfExperience: 10,
    sessionTypes: sessions('AUD', { 45: 140, 60: 170 }),
    licensedRegions: ['AU-NSW'],
    weekly: days(MON_FRI, '17:00', '21:00'),
    rules: [5, 120, 45, 15],
  },
  {
    ...SYD,
    key: 'syd-05',
    displayName: 'Dr. Zainab Hussain',
    type: 'psychologist',
    specialties: ['anxiety', 'trauma', 'family'],
    languages: ['en', 'ar', 'ur'],
    gender: 'female',
    bio:
      'Psychologist working with migrant families across Australia, the Gulf and the UK, in ' +
      'English, Arabic or Urdu.',
    yearsOfExperience: 12,
    sessionTypes: sessions('AUD', { 50: 240, 60: 270 }),
    licensedRegions: ['AU', 'AE', 'GB'],
    weekly: days([1, 2, 3, 4], '15:00', '21:00'),
    rules: [10, 720, 60, 30],
  },
  {
    ...KTM,
    key: 'ktm-01',
    displayName: 'Dr. Sunita Shrestha',
    type: 'psychiatrist',
    specialties: ['depression', 'anxiety', 'sleep'],
    languages: ['hi', 'en'],
    gender: 'female',
    bio:
      'Psychiatrist treating depression, anxiety and sleep problems, with consultations in Hindi ' +
      'or English.',
    yearsOfExperience: 16,
    sessionTypes: sessions('INR', { 30: 1500, 60: 2500 }),
    licensedRegions: ['NP', 'IN'],
    weekly: days(SUN_FRI, '10:00', '16:00'),
    rules: [10, 1440, 60, 30],
  },
  {
    ...KTM,
    key: 'ktm-02',
    displayName: 'Bikash Thapa',
    type: 'counselor',
    specialties: ['addiction', 'stress', 'grief'],
    languages: ['hi', 'en'],
    gender: 'male',
    bio: 'Addiction counselor with early morning and evening sessions around the working day.',
    yearsOfExperience: 6,
    sessionTypes: sessions('INR', { 45: 900, 60: 1100 }),
    licensedRegions: ['NP', 'IN'],
    weekly: [...days(SUN_FRI, '07:00', '10:00'), ...days(SUN_FRI, '17:00', '20:00')],
    rules: [5, 120, 30, 15],
  },
  {
    ...KTM,
    key: 'ktm-03',
    displayName: 'Dr. Anjali Gurung',
    type: 'psychologist',
    specialties: ['trauma', 'ptsd', 'child-adolescent'],
    languages: ['en', 'hi'],
    gender: 'female',
    bio:
      'Psychologist supporting children and families after disasters and displacement, including ' +
      'families working in the Gulf.',
    yearsOfExperience: 10,
    sessionTypes: sessions('INR', { 50: 1600, 90: 2600 }),
    licensedRegions: ['NP', 'IN', 'AE'],
    weekly: days(SUN_THU, '11:00', '17:00'),
    rules: [15, 480, 60, 30],
  },
  {
    ...KTM,
    key: 'ktm-04',
    displayName: 'Rohan Adhikari',
    type: 'therapist',
    specialties: ['relationships', 'self-esteem', 'anxiety'],
    languages: ['en', 'hi'],
    gender: 'male',
    bio: 'Therapist helping young adults with confidence, relationships and social anxiety.',
    yearsOfExperience: 5,
    sessionTypes: sessions('INR', { 50: 1200, 60: 1400 }),
    licensedRegions: ['NP', 'IN'],
    weekly: days(SUN_FRI, '14:00', '20:00'),
    rules: [10, 180, 45, 60],
  },
  {
    ...KTM,
    key: 'ktm-05',
    displayName: 'Pema Sherpa',
    type: 'counselor',
    specialties: ['stress', 'workplace', 'sleep'],
    languages: ['en', 'hi'],
    gender: 'undisclosed',
    bio:
      'Counselor offering short, practical sessions for stress and sleep, on weekday evenings ' +
      'and Saturday mornings.',
    yearsOfExperience: 3,
    sessionTypes: sessions('INR', { 30: 600, 45: 850 }),
    licensedRegions: ['NP', 'IN'],
    weekly: [...days(MON_FRI, '18:00', '21:00'), ...days([6], '10:00', '13:00')],
    rules: [0, 60, 30, 15],
  },
];

/** 16 bytes of a hash of the key: stable, and as well spread as a random id. */
function stableId(key: string): string {
  return formatId('prv', createHash('sha256').update(`tahoon-demo-provider:${key}`).digest());
}

/** Monday first, then by start time, so a reader scans a week top to bottom. */
function byWeekday(a: Weekly[number], b: Weekly[number]): number {
  return a.day - b.day || a.start.localeCompare(b.start);
}

/** Fields in the schema's order, so the JSON reads like the documentation. */
function toRow(draft: Draft): Row {
  const { key, weekly, rules, overrides = [] } = draft;
  const [bufferMinutes, minNoticeMinutes, horizonDays, slotIntervalMinutes] = rules;
  return {
    id: stableId(key),
    displayName: draft.displayName,
    type: draft.type,
    specialties: draft.specialties,
    languages: draft.languages,
    gender: draft.gender,
    bio: draft.bio,
    yearsOfExperience: draft.yearsOfExperience,
    sessionTypes: draft.sessionTypes,
    timeZone: draft.timeZone,
    licensedRegions: draft.licensedRegions,
    acceptingNewPatients: draft.acceptingNewPatients,
    active: draft.active,
    schedule: {
      weekly: [...weekly].sort(byWeekday),
      overrides,
      bufferMinutes,
      minNoticeMinutes,
      horizonDays,
      slotIntervalMinutes,
    },
  };
}

async function main(): Promise<void> {
  const file = { providers: drafts.map(toRow) };

  const result = parseProviderImport(file);
  if (!result.ok) {
    console.error(JSON.stringify(result.errors, null, 2));
    process.exit(1);
  }

  const path = fileURLToPath(OUTPUT);
  const options = { ...(await prettier.resolveConfig(path)), parser: 'json' };
  writeFileSync(path, await prettier.format(JSON.stringify(file), options));
  console.log(`wrote ${file.providers.length} providers to ${path}`);
}

await main();
