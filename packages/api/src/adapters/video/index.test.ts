import { describe, expect, it } from 'vitest';
import { createVideoRooms } from './index.js';

describe('createVideoRooms', () => {
  it('chooses VideoSDK when its credentials are configured', () => {
    const video = createVideoRooms({ videoSdk: { apiKey: 'key', secret: 'secret' } });

    expect(video.name).toBe('videosdk');
  });

  it('falls back to Jitsi without VideoSDK credentials', async () => {
    const video = createVideoRooms({ jitsiBaseUrl: 'https://meet.example.org' });
    const blank = createVideoRooms({ videoSdk: { apiKey: '', secret: '' } });

    expect(video.name).toBe('jitsi');
    expect(blank.name).toBe('jitsi');
    const room = await video.create({ bookingId: 'bkg_k3m9x2p7q4r8s5t6', startMs: 0, endMs: 1 });
    expect(room.patientJoinUrl.startsWith('https://meet.example.org/')).toBe(true);
  });

  it('refuses half a VideoSDK configuration', () => {
    expect(() => createVideoRooms({ videoSdk: { apiKey: 'key', secret: '' } })).toThrow();
  });
});
