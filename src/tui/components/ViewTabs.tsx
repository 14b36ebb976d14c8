import {Text} from 'ink'
import {views, type View} from '../keys.js'

/**
 * The view tabs. The current one is bracketed, `[2 users]`, as well as drawn inverse: with colours
 * off (NO_COLOR, --no-color) inverse video is gone and the brackets still say where you are. Every
 * tab is as wide with or without brackets, so switching views does not shift the line.
 */
export function ViewTabs({current, note}: {current: View; note?: string}) {
  return (
    <Text wrap="truncate">
      {views.map((v, i) => (
        <Text key={v} inverse={v === current} color={v === current ? undefined : 'gray'}>
          {v === current ? `[${i + 1} ${v}]` : ` ${i + 1} ${v} `}
        </Text>
      ))}
      {note ? <Text dimColor>{`  ${note}`}</Text> : null}
    </Text>
  )
}
