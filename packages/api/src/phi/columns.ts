/**
 * The patient columns the security issue puts under field-level encryption, by database column
 * name (the name bound into each value's context). `email` and `external_id` also need a blind
 * index column for equality lookups.
 */
export const PATIENT_PHI_COLUMNS = [
  'external_id',
  'given_name',
  'family_name',
  'birth_date',
  'email',
  'phone',
] as const;

export type PatientPhiColumn = (typeof PATIENT_PHI_COLUMNS)[number];
