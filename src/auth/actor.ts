// Who makes a change, as every service that changes a team's objects takes it: the user (their id is stored as the
// row's creator, their name is an event's author) and the team the change happens in. The routes' TeamAccess
// (teams.ts: requireTeam, after the role check) is one, so a route hands its access on as it is.
//
// The role is not part of it: routes check it before calling, and no service decides anything by it.
export interface Actor {
  team: { id: string; name: string };
  user: { id: string; name: string };
}
