import type { VideoRoom, VideoRoomRequest, VideoRooms } from '@tahoon/core';
import type { ResiliencePolicy } from '../../resilience/policies.js';

/**
 * A video service whose calls run under a resilience policy: a deadline per attempt, retries
 * of retryable failures with jittered backoff honouring `Retry-After`, a circuit breaker and a
 * bulkhead (see src/resilience/policies.ts). Creation is safe to retry because rooms are
 * created under the booking id (VideoSDK's `customRoomId`), and removal is idempotent.
 *
 * @example
 * const video = resilientVideo(createVideoRooms(config), createPolicy('videosdk', {}, logger));
 */
export function resilientVideo(inner: VideoRooms, policy: ResiliencePolicy): VideoRooms {
  return {
    name: inner.name,
    create(request: VideoRoomRequest, signal?: AbortSignal): Promise<VideoRoom> {
      return policy.execute(({ signal: attempt }) => inner.create(request, attempt), signal);
    },
    remove(roomId: string, signal?: AbortSignal): Promise<void> {
      return policy.execute(({ signal: attempt }) => inner.remove(roomId, attempt), signal);
    },
  };
}
