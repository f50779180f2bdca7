// Room API operations (room-level events, join options, mute, per-track subscription switches,
// permissions), end to end through scripted peers over the fake network.
#include "tests/sfu/room_test_fixture.h"

namespace switchyard::sfu::testing {
namespace {

using ::testing::Contains;
using ::testing::Not;

std::vector<std::string> Unpublished(const ObservedEvents& events) {
  std::vector<std::string> out;
  for (const auto& [publisher, track] : events.tracks_unpublished) out.push_back(track);
  return out;
}

std::vector<std::string> Published(const ObservedEvents& events) {
  std::vector<std::string> out;
  for (const auto& [publisher, track] : events.tracks_published) out.push_back(track.track_id);
  return out;
}

// Directions of the latest subscribe offer's m-lines, keyed by the msid track they carry
// (only sendonly lines carry one).
std::vector<std::string> SendingTracks(const ObservedEvents& events) {
  std::vector<std::string> out;
  if (events.subscribe_offers.empty()) return out;
  auto offer = rtc::ParseSdp(events.subscribe_offers.back());
  if (!offer.ok()) return out;
  for (const auto& section : offer->media) {
    if (section.direction == rtc::Direction::kSendOnly) out.push_back(section.msid_track);
  }
  return out;
}

TEST_F(RoomTest, RoomObserverHearsJoinsActivityTracksAndLeavesWithReasons) {
  JoinOptions options;
  options.participant_id = "alice";
  options.identity = "alice@example.com";
  options.name = "Alice";
  Client& alice = JoinWith(options);
  Publish(alice);
  EXPECT_THAT(room_observer_.Events(),
              ElementsAre("joined test-room alice",
                          "published test-room alice alice-0 audio layers=1",
                          "published test-room alice alice-1 video layers=1",
                          "active test-room alice"));
  ASSERT_EQ(room_observer_.Joined().size(), 1u);
  EXPECT_EQ(room_observer_.Joined()[0].identity, "alice@example.com");
  EXPECT_EQ(room_observer_.Joined()[0].name, "Alice");

  Client& bob = Join("bob");
  const ObservedEvents bob_joined = bob.observer->Snapshot();
  ASSERT_EQ(bob_joined.others_at_join.size(), 1u);
  EXPECT_EQ(bob_joined.others_at_join[0].participant_id, "alice");
  EXPECT_EQ(bob_joined.others_at_join[0].identity, "alice@example.com");
  EXPECT_EQ(bob_joined.others_at_join[0].name, "Alice");
  ASSERT_EQ(alice.observer->Snapshot().participants_joined.size(), 1u);
  EXPECT_EQ(alice.observer->Snapshot().participants_joined[0].identity, "bob name");
  Sync();  // bob's subscriber connects: bob becomes active (once, though he has one transport)
  Publish(bob);
  Sync();

  // A client or control-plane leave has no reason.
  room().RemoveParticipant("bob");
  worker_.Pump();
  // A server-side drop says why: alice stops refreshing consent (RFC 7675).
  worker_.Advance(31s, 100ms);
  EXPECT_EQ(room().participant_count(), 0u);

  const std::vector<std::string> events = room_observer_.Events();
  ASSERT_EQ(events.size(), 14u);
  EXPECT_EQ(events[4], "joined test-room bob");
  EXPECT_EQ(events[5], "active test-room bob");
  EXPECT_EQ(events[6], "published test-room bob bob-0 audio layers=1");
  EXPECT_EQ(events[7], "published test-room bob bob-1 video layers=1");
  EXPECT_EQ(events[8], "unpublished test-room bob bob-0");
  EXPECT_EQ(events[9], "unpublished test-room bob bob-1");
  EXPECT_EQ(events[10], "left test-room bob");
  EXPECT_EQ(events[11], "unpublished test-room alice alice-0");
  EXPECT_EQ(events[12], "unpublished test-room alice alice-1");
  EXPECT_EQ(events[13], "left test-room alice ICE consent expired (RFC 7675)");
}

TEST_F(RoomTest, JoinRejectsDuplicateIdsAndWhepViewersWithoutSource) {
  Join("alice");
  JoinOptions duplicate;
  duplicate.participant_id = "alice";
  EXPECT_EQ(room().Join(duplicate, std::make_shared<RecordingObserver>()).code(),
            absl::StatusCode::kAlreadyExists);
  JoinOptions viewer;
  viewer.participant_id = "viewer";
  viewer.kind = ParticipantKind::kWhep;
  EXPECT_EQ(room().Join(viewer, std::make_shared<RecordingObserver>()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(room().participant_count(), 1u);
  EXPECT_THAT(room_observer_.Events(), ElementsAre("joined test-room alice"));
}

TEST_F(RoomTest, MutedTrackForwardsNothingAndUnmuteResumesAtAKeyframe) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  Sync();
  const uint32_t video_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  const uint32_t audio_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kAudio, alice);
  StartVideo(alice);
  SendAudio(alice);
  ASSERT_EQ(bob.subscriber->ReceivedRtpFor(video_ssrc).size(), 1u);
  ASSERT_EQ(bob.subscriber->ReceivedRtpFor(audio_ssrc).size(), 1u);

  room().SetTrackMuted("alice", "alice-1", true);
  room().SetTrackMuted("alice", "alice-0", true);
  room().SetTrackMuted("alice", "alice-0", true);   // no change: no event
  room().SetTrackMuted("alice", "no-such-track", true);
  room().SetTrackMuted("nobody", "alice-0", true);
  worker_.Pump();
  for (Client* client : {&alice, &bob}) {
    const ObservedEvents events = client->observer->Snapshot();
    ASSERT_EQ(events.tracks_muted.size(), 2u) << client->id;
    EXPECT_EQ(events.tracks_muted[0].participant_id, "alice");
    EXPECT_EQ(events.tracks_muted[0].track_id, "alice-1");
    EXPECT_TRUE(events.tracks_muted[0].muted);
    EXPECT_EQ(events.tracks_muted[1].track_id, "alice-0");
  }
  EXPECT_THAT(room_observer_.Events(), Contains("muted test-room alice alice-1 1"));
  EXPECT_THAT(room_observer_.Events(), Contains("muted test-room alice alice-0 1"));

  // A late joiner learns the state from the summaries.
  Client& carol = Join("carol");
  const ObservedEvents carol_events = carol.observer->Snapshot();
  ASSERT_EQ(carol_events.others_at_join.size(), 2u);
  ASSERT_EQ(carol_events.others_at_join[0].tracks.size(), 2u);
  EXPECT_TRUE(carol_events.others_at_join[0].tracks[0].muted);
  EXPECT_TRUE(carol_events.others_at_join[0].tracks[1].muted);
  ASSERT_EQ(carol_events.tracks_published.size(), 2u);
  EXPECT_TRUE(carol_events.tracks_published[1].second.muted);
  Sync();

  // Nothing is forwarded while muted, keyframes included; every packet counts as a drop.
  const uint64_t muted_drops = Drops(DropReason::kMuted);
  for (int i = 0; i < 5; ++i) {
    SendVideoFrame(alice, /*keyframe=*/i == 2);
    SendAudio(alice);
    Run(20ms);
  }
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(video_ssrc).size(), 1u);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(audio_ssrc).size(), 1u);
  EXPECT_THAT(carol.subscriber->received_rtp(), IsEmpty());
  EXPECT_EQ(Drops(DropReason::kMuted), muted_drops + 2 * 10);  // bob and carol, 10 packets

  // Unmuting asks alice for a keyframe on her subscribers' behalf.
  worker_.clock().Advance(400ms);
  alice.publisher->ClearReceived();
  room().SetTrackMuted("alice", "alice-1", false);
  room().SetTrackMuted("alice", "alice-0", false);
  worker_.Pump();
  EXPECT_EQ(alice.publisher->CountReceivedPli(alice.publish.video_ssrc), 1u);
  EXPECT_FALSE(bob.observer->Snapshot().tracks_muted.back().muted);
  EXPECT_THAT(room_observer_.Events(), Contains("muted test-room alice alice-1 0"));
  Run(20ms);  // carol joined while muted: her allocator picks the video up on the next tick

  // Video resumes at the keyframe, continuing bob's numbering without a gap; audio resumes
  // at once, also gap-free.
  SendVideoFrame(alice, /*keyframe=*/false);
  SendVideoFrame(alice, /*keyframe=*/true);
  SendVideoFrame(alice, /*keyframe=*/false);
  SendAudio(alice);
  const std::vector<ReceivedRtp> video = bob.subscriber->ReceivedRtpFor(video_ssrc);
  ASSERT_EQ(video.size(), 3u);
  EXPECT_EQ(video[1].sequence_number, static_cast<uint16_t>(video[0].sequence_number + 1));
  EXPECT_EQ(video[2].sequence_number, static_cast<uint16_t>(video[1].sequence_number + 1));
  const std::vector<ReceivedRtp> audio = bob.subscriber->ReceivedRtpFor(audio_ssrc);
  ASSERT_EQ(audio.size(), 2u);
  EXPECT_EQ(audio[1].sequence_number, static_cast<uint16_t>(audio[0].sequence_number + 1));
  EXPECT_EQ(carol.subscriber->ReceivedRtpFor(ConsumerSsrc(carol, rtc::MediaKind::kVideo, alice))
                .size(),
            2u);
  EXPECT_THAT(bob.observer->Snapshot().errors, IsEmpty());
}

TEST_F(RoomTest, DisabledSubscriptionsGoInactiveAreRememberedAndComeBack) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& bob = Join("bob");
  // Disabled before carol even joined: remembered by track id.
  room().SetSubscriptionsEnabled("bob", {"carol-1"}, false);
  Sync();
  const uint32_t old_video_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  const uint32_t audio_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kAudio, alice);

  const size_t offers = bob.observer->Snapshot().subscribe_offers.size();
  room().SetSubscriptionsEnabled("bob", {"alice-1"}, false);
  worker_.Pump();
  ObservedEvents events = bob.observer->Snapshot();
  EXPECT_THAT(events.tracks_unpublished, ElementsAre(Pair("alice", "alice-1")));
  ASSERT_EQ(events.subscribe_offers.size(), offers + 1);
  EXPECT_THAT(SendingTracks(events), ElementsAre("alice-0"));
  Sync();
  EXPECT_EQ(bob.subscriber->FindOfferedTrack(rtc::MediaKind::kVideo, "alice"), nullptr);
  // Alice is unaffected and still publishes; bob gets her audio only.
  StartVideo(alice);
  SendAudio(alice);
  EXPECT_THAT(bob.subscriber->ReceivedRtpFor(old_video_ssrc), IsEmpty());
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(audio_ssrc).size(), 1u);

  Client& carol = Join("carol");
  Publish(carol);
  Sync();
  EXPECT_NE(bob.subscriber->FindOfferedTrack(rtc::MediaKind::kAudio, "carol"), nullptr);
  EXPECT_EQ(bob.subscriber->FindOfferedTrack(rtc::MediaKind::kVideo, "carol"), nullptr);
  EXPECT_THAT(Published(bob.observer->Snapshot()), Not(Contains("carol-1")));
  // Alice receives carol's video: the switch is bob's alone.
  EXPECT_NE(alice.subscriber->FindOfferedTrack(rtc::MediaKind::kVideo, "carol"), nullptr);

  // Re-enabled: a new m-line (mids are never reused) with a new SSRC, from a keyframe.
  room().SetSubscriptionsEnabled("bob", {"alice-1", "carol-1", "unknown-track"}, true);
  worker_.Pump();
  EXPECT_THAT(SendingTracks(bob.observer->Snapshot()),
              ElementsAre("alice-0", "carol-0", "alice-1", "carol-1"));
  Sync();
  const uint32_t new_video_ssrc = ConsumerSsrc(bob, rtc::MediaKind::kVideo, alice);
  EXPECT_NE(new_video_ssrc, old_video_ssrc);
  Run(20ms);  // the new consumer's first allocation
  SendVideoFrame(alice, /*keyframe=*/true);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(new_video_ssrc).size(), 1u);
  EXPECT_THAT(bob.observer->Snapshot().errors, IsEmpty());
}

TEST_F(RoomTest, PermissionsRevokeAndRestorePublishingAndSubscribing) {
  Client& alice = Join("alice");
  Publish(alice);
  Client& carol = Join("carol");
  Publish(carol);
  Client& bob = Join("bob");
  room().SetSubscriptionsEnabled("bob", {"carol-1"}, false);
  Sync();
  EXPECT_THAT(SendingTracks(bob.observer->Snapshot()),
              ElementsAre("alice-0", "alice-1", "carol-0"));

  // can_subscribe revoked: everything bob receives goes, and new tracks do not arrive.
  room().SetPermission("bob", ParticipantPermission{true, false});
  worker_.Pump();
  // (carol-1 went when bob disabled it.)
  EXPECT_THAT(Unpublished(bob.observer->Snapshot()),
              ElementsAre("carol-1", "alice-0", "alice-1", "carol-0"));
  Sync();
  EXPECT_THAT(SendingTracks(bob.observer->Snapshot()), IsEmpty());
  EXPECT_EQ(room().FindParticipant("bob")->subscriber().consumer_count(), 0u);
  Client& dave = Join("dave");
  Publish(dave);
  Sync();
  EXPECT_THAT(Published(bob.observer->Snapshot()), Not(Contains("dave-0")));

  // Granted again: everything published now, minus what bob disabled.
  room().SetPermission("bob", ParticipantPermission{true, true});
  worker_.Pump();
  EXPECT_THAT(SendingTracks(bob.observer->Snapshot()),
              ElementsAre("alice-0", "alice-1", "carol-0", "dave-0", "dave-1"));
  Sync();
  SendAudio(dave);
  EXPECT_EQ(bob.subscriber->ReceivedRtpFor(ConsumerSsrc(bob, rtc::MediaKind::kAudio, dave)).size(),
            1u);

  // can_publish revoked: alice's tracks are unpublished for everyone, and she cannot publish.
  room().SetPermission("alice", ParticipantPermission{false, true});
  worker_.Pump();
  for (Client* other : {&bob, &carol, &dave}) {
    const std::vector<std::string> gone = Unpublished(other->observer->Snapshot());
    EXPECT_THAT(gone, Contains("alice-0")) << other->id;
    EXPECT_THAT(gone, Contains("alice-1")) << other->id;
  }
  EXPECT_THAT(room_observer_.Events(), Contains("unpublished test-room alice alice-1"));
  EXPECT_TRUE(room().FindParticipant("alice")->producers().empty());
  // Her packets are now unknown; her own subscriptions are untouched.
  SendAudio(alice);
  SendAudio(carol);
  EXPECT_EQ(alice.subscriber->ReceivedRtpFor(ConsumerSsrc(alice, rtc::MediaKind::kAudio, carol))
                .size(),
            1u);
  room().HandlePublishOffer("alice", alice.publisher->CreatePublishOffer(alice.publish));
  worker_.Pump();
  ObservedEvents alice_events = alice.observer->Snapshot();
  ASSERT_EQ(alice_events.errors.size(), 1u);
  EXPECT_EQ(alice_events.errors[0].first, "permission_denied");

  // Granted again, her next offer publishes under the same track ids.
  room().SetPermission("alice", ParticipantPermission{true, true});
  Publish(alice);
  Sync();
  EXPECT_NE(bob.subscriber->FindOfferedTrack(rtc::MediaKind::kVideo, "alice"), nullptr);
  EXPECT_THAT(room_observer_.Events(), Contains("published test-room alice alice-1 video layers=1"));
}

}  // namespace
}  // namespace switchyard::sfu::testing
