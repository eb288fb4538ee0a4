// The alert sound: a two-note chime made here with the Web Audio API, so
// the page ships no audio file and no licence to track. OBS's browser
// source plays it (it allows sound without a click); a browser tab may hold
// it until the page is clicked once.

let context = null;

/** Plays the chime at `volume` (0–100); false when muted or audio is unavailable. */
export function chime(volume) {
  if (!(volume > 0)) return false;
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') context.resume().catch(() => {});
    const start = context.currentTime + 0.02;
    const peak = Math.min(1, volume / 100) * 0.4;
    // E5 then A5: rising, short, clear over game audio.
    [[659.25, 0], [880, 0.14]].forEach(([frequency, offset]) => {
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.type = 'sine';
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0, start + offset);
      gain.gain.linearRampToValueAtTime(peak, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.6);
      tone.connect(gain).connect(context.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.65);
    });
    return true;
  } catch (error) {
    console.warn(`overlay: no sound: ${error}`);
    return false;
  }
}
