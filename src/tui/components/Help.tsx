import {Box, Text} from 'ink'
import {helpSections} from '../keys.js'
import {fit} from '../text.js'

/** The help screen (?), generated from the key map, so every binding is listed and none made up. */
export function Help() {
  return (
    <Box flexDirection="column">
      {helpSections.map((s) => (
        <Box key={s.title} flexDirection="column">
          <Text bold underline>{s.title}</Text>
          {s.rows.map((r) => (
            <Text key={r.keys}>
              <Text color="cyan">{fit(r.keys, 16)}</Text>
              {r.help}
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  )
}
