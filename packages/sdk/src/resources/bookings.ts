import { type Http, paramsObject, pathId } from '../http.js';
import type { RequestOptions, WriteRequestOptions } from '../options.js';
import type { PagePromise, WithRequestId } from '../pagination.js';
import type {
  Booking,
  BookingCancelParams,
  BookingCreate,
  BookingListParams,
  BookingRescheduleParams,
} from '../types.js';

/**
 * `client.bookings`: video sessions between your patients and providers.
 *
 * @example
 * const booking = await client.bookings.create({ patientId, providerId, start, duration: 50 });
 * await client.bookings.cancel(booking.id, { reason: 'Patient is unwell' });
 */
export interface BookingsApi {
  /**
   * Books a slot. Usually resolves `confirmed` with its video room; while the video service is
   * slow or failing it resolves `pending` with `video: null` (the slot is held and the room is
   * being provisioned; `get` the booking later, or wait for `booking.confirmed` or
   * `booking.failed`). Fails with `SLOT_UNAVAILABLE` when the slot was taken meanwhile,
   * `PATIENT_BUSY` when the patient has a session then, and `NOT_ELIGIBLE` when the provider
   * cannot see this patient.
   *
   * @example
   * const booking = await client.bookings.create({
   *   patientId: 'pat_k3m9q2x7w4n8p5rt', providerId: 'prv_k3m9q2x7w4n8p5rt',
   *   start: '2026-05-03T10:00:00+03:00', duration: 50,
   * });
   */
  create(input: BookingCreate, options?: WriteRequestOptions): Promise<WithRequestId<Booking>>;

  /**
   * Reads one booking, with its video links once the room exists.
   *
   * @example
   * const { status, video } = await client.bookings.get('bkg_k3m9q2x7w4n8p5rt');
   */
  get(id: string, options?: RequestOptions): Promise<WithRequestId<Booking>>;

  /**
   * Lists your bookings. Await it for one page or iterate it for all.
   *
   * @example
   * for await (const booking of client.bookings.list({ patientId, status: 'confirmed' })) {
   *   remind(booking);
   * }
   */
  list(params?: BookingListParams, options?: RequestOptions): PagePromise<Booking>;

  /**
   * Cancels a booking and releases its slot. Cancelling one that has already ended or was
   * cancelled fails with `INVALID_STATE`.
   *
   * @example
   * const booking = await client.bookings.cancel('bkg_k3m9q2x7w4n8p5rt', { reason: 'Moved' });
   * console.log(booking.cancellation?.late);
   */
  cancel(
    id: string,
    params?: BookingCancelParams,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<Booking>>;

  /**
   * Moves a confirmed booking to another free slot under the same id; the old times go to its
   * `history` and the video room stays the same. A cancelled or started booking fails with
   * `INVALID_STATE`, a taken slot with `SLOT_UNAVAILABLE`.
   *
   * @example
   * const moved = await client.bookings.reschedule('bkg_k3m9q2x7w4n8p5rt', {
   *   start: '2026-05-05T16:00:00+03:00',
   * });
   */
  reschedule(
    id: string,
    params: BookingRescheduleParams,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<Booking>>;
}

export function bookingsApi(http: Http): BookingsApi {
  return {
    create: async (input, options) =>
      http.write<Booking>('POST', '/v1/bookings', paramsObject(input, 'input'), options),

    get: async (id, options) =>
      http.read<Booking>(`/v1/bookings/${pathId(id, 'id')}`, undefined, options),

    list: (params, options) => http.list<Booking>('/v1/bookings', params, options),

    cancel: async (id, params, options) =>
      http.write<Booking>(
        'POST',
        `/v1/bookings/${pathId(id, 'id')}/cancel`,
        paramsObject(params, 'params'),
        options,
      ),

    reschedule: async (id, params, options) =>
      http.write<Booking>(
        'POST',
        `/v1/bookings/${pathId(id, 'id')}/reschedule`,
        paramsObject(params, 'params'),
        options,
      ),
  };
}
