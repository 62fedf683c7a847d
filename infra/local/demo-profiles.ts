import type { ProfileItem } from '../../shared/tencent/portrait-types.ts';

/**
 * Credentials of the demo app the emulator plays when no real Tencent app is configured.
 * They open nothing but the local emulator, so printing them is harmless.
 */
export const DEMO_CREDENTIALS = {
  sdkAppId: 1_400_000_000,
  identifier: 'administrator',
  secretKey: 'demo-secret-key-for-the-local-emulator-only-0123456789abcdef',
} as const satisfies { sdkAppId: number; identifier: string; secretKey: string };

/** The demo app's one configured custom field. */
export const DEMO_CUSTOM_TAGS: readonly string[] = ['Tag_Profile_Custom_Team'];

/** How many generated accounts exist: `user0001` … `user1000`. */
export const DEMO_NUMBERED_ACCOUNTS = 1000;

const TEAMS = ['platform', 'payments', 'growth', 'support', 'research'];
const CITIES = ['Shenzhen', 'Singapore', 'Seoul', 'Tokyo', 'Frankfurt', 'Mumbai', 'San Jose', 'Jakarta'];
const GENDERS = ['Gender_Type_Female', 'Gender_Type_Male', 'Gender_Type_Unknown'];

interface Person {
  nick: string;
  gender: string;
  birthDay: number;
  location: string;
  level: number;
  team: string;
  signature?: string;
  image?: string;
}

function profileOf(person: Person): ProfileItem[] {
  const items: ProfileItem[] = [
    { Tag: 'Tag_Profile_IM_Nick', Value: person.nick },
    { Tag: 'Tag_Profile_IM_Gender', Value: person.gender },
    { Tag: 'Tag_Profile_IM_BirthDay', Value: person.birthDay },
    { Tag: 'Tag_Profile_IM_Location', Value: person.location },
    { Tag: 'Tag_Profile_IM_AllowType', Value: 'AllowType_Type_NeedConfirm' },
    { Tag: 'Tag_Profile_IM_Level', Value: person.level },
    { Tag: 'Tag_Profile_Custom_Team', Value: person.team },
  ];
  if (person.signature !== undefined)
    items.push({ Tag: 'Tag_Profile_IM_SelfSignature', Value: person.signature });
  if (person.image !== undefined) items.push({ Tag: 'Tag_Profile_IM_Image', Value: person.image });
  return items;
}

const avatar = (account: string): string => `https://avatars.example.com/${account}.png`;

const NAMED: Record<string, Person> = {
  alice: {
    nick: 'Alice',
    gender: 'Gender_Type_Female',
    birthDay: 19900419,
    location: 'Singapore',
    level: 7,
    team: 'platform',
    signature: 'Ship small, ship often.',
    image: avatar('alice'),
  },
  bob: {
    nick: 'Bob',
    gender: 'Gender_Type_Male',
    birthDay: 19880102,
    location: 'Frankfurt',
    level: 5,
    team: 'payments',
    image: avatar('bob'),
  },
  carol: {
    nick: 'Carol',
    gender: 'Gender_Type_Female',
    birthDay: 19950730,
    location: 'Tokyo',
    level: 9,
    team: 'research',
    signature: '研究と珈琲',
    image: avatar('carol'),
  },
  dave: {
    nick: 'Dave',
    gender: 'Gender_Type_Male',
    birthDay: 19791111,
    location: 'San Jose',
    level: 3,
    team: 'support',
  },
  erin: {
    nick: 'Erin',
    gender: 'Gender_Type_Unknown',
    birthDay: 20010305,
    location: 'Seoul',
    level: 4,
    team: 'growth',
    signature: '안녕하세요',
    image: avatar('erin'),
  },
  frank: {
    nick: 'Frank',
    gender: 'Gender_Type_Male',
    birthDay: 19920923,
    location: 'Mumbai',
    level: 6,
    team: 'platform',
    image: avatar('frank'),
  },
  grace: {
    nick: 'Grace',
    gender: 'Gender_Type_Female',
    birthDay: 19861209,
    location: 'Shenzhen',
    level: 10,
    team: 'research',
    signature: '写代码，喝茶。',
    image: avatar('grace'),
  },
  heidi: {
    nick: 'Heidi',
    gender: 'Gender_Type_Female',
    birthDay: 19980614,
    location: 'Jakarta',
    level: 2,
    team: 'growth',
  },
  ivan: {
    nick: 'Ivan',
    gender: 'Gender_Type_Male',
    birthDay: 19830221,
    location: 'Frankfurt',
    level: 8,
    team: 'payments',
    signature: 'On call this week.',
    image: avatar('ivan'),
  },
  judy: {
    nick: 'Judy',
    gender: 'Gender_Type_Female',
    birthDay: 20000101,
    location: 'Singapore',
    level: 1,
    team: 'support',
    image: avatar('judy'),
  },
};

/** `user0001`-style names, zero-padded so they sort in order. */
export const demoAccountName = (n: number): string => `user${String(n).padStart(4, '0')}`;

/** Deterministic variety: every third account has no avatar, every fifth a signature. */
function numberedPerson(n: number): Person {
  const account = demoAccountName(n);
  return {
    nick: `Demo User ${n}`,
    gender: GENDERS[n % GENDERS.length] as string,
    birthDay: 19700101 + (n % 30) * 10000 + (n % 12) * 100 + (n % 28),
    location: CITIES[n % CITIES.length] as string,
    level: n % 11,
    team: TEAMS[n % TEAMS.length] as string,
    ...(n % 5 === 0 && { signature: `Hello from ${account}` }),
    ...(n % 3 !== 0 && { image: avatar(account) }),
  };
}

function buildDemoProfiles(): Record<string, ProfileItem[]> {
  const profiles: Record<string, ProfileItem[]> = {};
  for (const [account, person] of Object.entries(NAMED)) profiles[account] = profileOf(person);
  for (let n = 1; n <= DEMO_NUMBERED_ACCOUNTS; n++)
    profiles[demoAccountName(n)] = profileOf(numberedPerson(n));
  return profiles;
}

/**
 * The demo app's users: ten named ones (`alice` … `judy`) and `user0001` … `user1000`, so benchmarks
 * and end-to-end tests can ask for hundreds of distinct existing accounts. Some tags are left unset
 * on purpose (Image, SelfSignature) so omitted fields show up in answers.
 */
export const DEMO_PROFILES: Record<string, ProfileItem[]> = buildDemoProfiles();
