import { type Http, paramsObject, pathId } from '../http.js';
import type { WriteRequestOptions } from '../options.js';
import type { WithRequestId } from '../pagination.js';
import type { Device, DeviceRegisterParams, DeviceRemoval } from '../types.js';

/**
 * `client.devices`: your patients' phones and browsers, for push notifications about their
 * sessions. The token is the device's FCM registration token; Tahoon keeps it encrypted and
 * never answers it back. These calls need the `patients:write` scope.
 *
 * @example
 * await client.devices.register(patientId, fcmToken, { platform: 'android' });
 * await client.devices.remove(patientId, fcmToken); // on sign-out
 */
export interface DevicesApi {
  /**
   * Registers a device for a patient. Registering a known token again answers the same device,
   * so it is safe to call on every app start. `NOT_FOUND` when the patient is not one of yours.
   *
   * @example
   * const device = await client.devices.register('pat_k3m9q2x7w4n8p5rt', fcmToken, {
   *   platform: 'ios',
   * });
   */
  register(
    patientId: string,
    token: string,
    params?: DeviceRegisterParams,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<Device>>;

  /**
   * Stops push notifications to a device. `NOT_FOUND` when the token is not registered for the
   * patient.
   *
   * @example
   * await client.devices.remove('pat_k3m9q2x7w4n8p5rt', fcmToken);
   */
  remove(
    patientId: string,
    token: string,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<DeviceRemoval>>;
}

export function devicesApi(http: Http): DevicesApi {
  const path = (patientId: string, token: string) =>
    `/v1/patients/${pathId(patientId, 'patientId')}/devices/${pathId(token, 'token')}`;
  return {
    register: async (patientId, token, params, options) =>
      http.write('PUT', path(patientId, token), paramsObject(params, 'params'), options),

    remove: async (patientId, token, options) =>
      http.write('DELETE', path(patientId, token), undefined, options),
  };
}
