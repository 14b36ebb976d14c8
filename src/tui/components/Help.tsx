import {Box, Text} from 'ink'
import {keyBindings} from '../keys.js'
import {fit} from '../text.js'

export function Help() {
  return (
    <Box flexDirection="column">
      <Text bold underline>Keys</Text>
      {keyBindings.map((k) => (
        <Text key={k.keys}>
          <Text color="cyan">{fit(k.keys, 16)}</Text>
          {k.action}
        </Text>
      ))}
      <Text dimColor>Press any key to go back.</Text>
    </Box>
  )
}
