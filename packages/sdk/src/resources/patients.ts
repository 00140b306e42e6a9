import { type Http, paramsObject, pathId } from '../http.js';
import type { RequestOptions, WriteRequestOptions } from '../options.js';
import type { PagePromise, WithRequestId } from '../pagination.js';
import type {
  Patient,
  PatientCreate,
  PatientErasure,
  PatientExport,
  PatientListParams,
  PatientUpdate,
} from '../types.js';

/**
 * `client.patients`: the patients your organisation registers. Patients are private to your
 * organisation; other partners never see them.
 *
 * @example
 * const patient = await client.patients.create({
 *   externalId: 'crm-1042', givenName: 'Sara', familyName: 'Ali',
 *   birthDate: '1990-04-21', country: 'SA', timeZone: 'Asia/Riyadh',
 * });
 */
export interface PatientsApi {
  /**
   * Registers a patient. A second patient with the same `externalId` fails with
   * `PATIENT_EXISTS`.
   *
   * @example
   * const patient = await client.patients.create(input, { idempotencyKey: `patient-${crmId}` });
   */
  create(input: PatientCreate, options?: WriteRequestOptions): Promise<WithRequestId<Patient>>;

  /**
   * Reads one patient; `NOT_FOUND` when it is not one of yours.
   *
   * @example
   * const patient = await client.patients.get('pat_k3m9q2x7w4n8p5rt');
   */
  get(id: string, options?: RequestOptions): Promise<WithRequestId<Patient>>;

  /**
   * Changes the given fields and leaves the rest as they are.
   *
   * @example
   * const patient = await client.patients.update(id, { phone: '+966501234567' });
   */
  update(
    id: string,
    changes: PatientUpdate,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<Patient>>;

  /**
   * Lists your patients, newest first. Await it for one page or iterate it for all.
   *
   * @example
   * const [match] = (await client.patients.list({ externalId: 'crm-1042' })).data;
   * for await (const patient of client.patients.list()) exportRow(patient);
   */
  list(params?: PatientListParams, options?: RequestOptions): PagePromise<Patient>;

  /**
   * Everything Tahoon holds about one patient, for a data-subject access request: the record,
   * every booking with its history and cancellation, and the audit entries about the patient.
   *
   * @example
   * const { patient, bookings, auditEvents } = await client.patients.export(id);
   */
  export(id: string, options?: RequestOptions): Promise<WithRequestId<PatientExport>>;

  /**
   * Erases a patient (right to erasure): its details are removed, sessions still to come are
   * cancelled and past ones kept without details. Afterwards the id answers `NOT_FOUND`, and
   * the `externalId` may be registered again.
   *
   * @example
   * const { cancelledBookingIds } = await client.patients.erase('pat_k3m9q2x7w4n8p5rt');
   */
  erase(id: string, options?: WriteRequestOptions): Promise<WithRequestId<PatientErasure>>;
}

export function patientsApi(http: Http): PatientsApi {
  return {
    create: async (input, options) =>
      http.write<Patient>('POST', '/v1/patients', paramsObject(input, 'input'), options),

    get: async (id, options) =>
      http.read<Patient>(`/v1/patients/${pathId(id, 'id')}`, undefined, options),

    update: async (id, changes, options) =>
      http.write<Patient>(
        'PATCH',
        `/v1/patients/${pathId(id, 'id')}`,
        paramsObject(changes, 'changes'),
        options,
      ),

    list: (params, options) => http.list<Patient>('/v1/patients', params, options),

    export: async (id, options) =>
      http.read<PatientExport>(`/v1/patients/${pathId(id, 'id')}/export`, undefined, options),

    erase: async (id, options) =>
      http.write<PatientErasure>('DELETE', `/v1/patients/${pathId(id, 'id')}`, undefined, options),
  };
}
