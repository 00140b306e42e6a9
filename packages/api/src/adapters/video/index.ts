import type { VideoRooms } from '@tahoon/core';
import { createJitsiRooms } from './jitsi.js';
import { createVideoSdkRooms } from './videosdk.js';

export { createJitsiRooms } from './jitsi.js';
export type { JitsiRoomsOptions } from './jitsi.js';
export { createVideoSdkRooms, VideoSdkError } from './videosdk.js';
export type { VideoSdkRoomsOptions } from './videosdk.js';

export interface VideoRoomsConfig {
  videoSdk?: { apiKey: string; secret: string; apiBase?: string; joinBaseUrl?: string };
  jitsiBaseUrl?: string;
}

/**
 * The video service for this deployment: VideoSDK when its credentials are configured, else
 * Jitsi Meet, which needs no account. Half a VideoSDK configuration is refused rather than
 * quietly replaced by Jitsi, so a typo in the environment cannot change where sessions run.
 *
 * @example
 * const video = createVideoRooms({
 *   videoSdk: { apiKey: config.videoSdkApiKey, secret: config.videoSdkSecret },
 * });
 * video.name; // 'videosdk'
 * createVideoRooms({}).name; // 'jitsi'
 */
export function createVideoRooms(config: VideoRoomsConfig): VideoRooms {
  const videoSdk = config.videoSdk;
  if (!videoSdk || (!videoSdk.apiKey && !videoSdk.secret)) {
    return createJitsiRooms(config.jitsiBaseUrl ? { baseUrl: config.jitsiBaseUrl } : {});
  }
  // createVideoSdkRooms throws when only one of the key and the secret is set.
  return createVideoSdkRooms(videoSdk);
}
