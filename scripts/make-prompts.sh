#!/usr/bin/env bash
# Regenerates the bundled Korean voice prompts (media-edge/prompts/*.wav):
# espeak-ng's Korean voice, resampled to 8 kHz 16-bit mono (what G.711
# carries). Run by hand when a prompt's text changes; the WAVs are committed,
# so neither the build nor the tests need espeak-ng. Needs: espeak-ng, sox.
set -euo pipefail
cd "$(dirname "$0")/../media-edge/prompts"
say() {
  local name=$1 text=$2
  espeak-ng -v ko -s 150 -w "/tmp/prompt-$name.wav" "$text"
  sox "/tmp/prompt-$name.wav" -r 8000 -c 1 -b 16 "$name.wav" norm -3
  rm -f "/tmp/prompt-$name.wav"
}
say after_hours "지금은 업무 시간이 아닙니다. 삐 소리가 나면 메시지를 남겨 주세요."
say unavailable "지금은 전화를 받을 수 없습니다. 삐 소리가 나면 메시지를 남겨 주세요."
say queue_wait "모든 상담원이 통화 중입니다. 잠시만 기다려 주세요."
say queue_position "고객님의 대기 순번은"
for n in 1 2 3 4 5 6 7 8 9; do say "queue_$n" "${n}번입니다."; done
say queue_10 "10번 이후입니다."
